// Parse an iCalendar file with ical.js (Thunderbird's parser) and print what it understood as JSON.
//
// usage: node check_icaljs.mjs FILE [FROM TO]
//   FROM/TO (YYYY-MM-DD, inclusive) add each event's occurrences in that range, RRULE expanded.
// output: {"parser", "errors": [...], "calendar": {...}, "events": [{uid, summary, description,
//          start, end, allDay, sequence, rrule, alarms, occurrences}]}
// Exit status is 0 even when errors were found: the caller asserts on the JSON.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const [file, from, to] = process.argv.slice(2);
const errors = [];
const out = { parser: "ical.js", errors, calendar: {}, events: [] };

function timeString(t) {
  return t ? t.toString() : null;
}

function checkValues(component, where) {
  // ical.js decodes property values lazily; touching every value surfaces value-level errors.
  for (const prop of component.getAllProperties()) {
    try {
      prop.getValues();
    } catch (e) {
      errors.push(`${where} ${prop.name}: ${e.message}`);
    }
  }
  for (const sub of component.getAllSubcomponents()) {
    checkValues(sub, `${where}/${sub.name}`);
  }
}

try {
  const text = readFileSync(file, "utf8");
  if (!text.endsWith("\r\n") || /[^\r]\n/.test(text)) {
    errors.push("lines are not all CRLF-terminated (RFC 5545 s3.1)");
  }
  const root = new ICAL.Component(ICAL.parse(text));
  if (root.name !== "vcalendar") errors.push(`root component is ${root.name}`);
  checkValues(root, "vcalendar");
  const str = (name) => {
    const value = root.getFirstPropertyValue(name);
    return value === null ? null : value.toString();
  };
  out.calendar = {
    version: str("version"),
    prodid: str("prodid"),
    method: str("method"),
    name: str("name"),
    xWrCalname: str("x-wr-calname"),
    refreshInterval: str("refresh-interval"),
    refreshIntervalValueType: root.getFirstProperty("refresh-interval")?.type ?? null,
    publishedTtl: str("x-published-ttl"),
  };
  for (const vevent of root.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    const rrule = vevent.getFirstPropertyValue("rrule");
    const record = {
      uid: event.uid,
      summary: event.summary,
      description: event.description,
      start: timeString(event.startDate),
      end: timeString(event.endDate),
      allDay: Boolean(event.startDate && event.startDate.isDate),
      sequence: event.sequence,
      rrule: rrule ? rrule.toString() : null,
      alarms: vevent.getAllSubcomponents("valarm").map((alarm) => ({
        action: alarm.getFirstPropertyValue("action"),
        trigger: timeString(alarm.getFirstPropertyValue("trigger")),
      })),
    };
    if (from && to) {
      const until = ICAL.Time.fromDateString(to);
      const since = ICAL.Time.fromDateString(from);
      record.occurrences = [];
      const it = event.iterator();
      for (let i = 0, next; i < 100000 && (next = it.next()); i++) {
        if (next.compare(until) > 0) break;
        if (next.compare(since) >= 0) record.occurrences.push(next.toString());
      }
    }
    out.events.push(record);
  }
} catch (e) {
  errors.push(`${e.name}: ${e.message}`);
}
console.log(JSON.stringify(out));
