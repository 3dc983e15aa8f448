"""Parse an iCalendar file with libical (Evolution's parser, via GObject introspection); print JSON.

Run with Debian's interpreter, which has `python3-gi` and `gir1.2-ical-3.0`, not the project venv:

    /usr/bin/python3 tests/feedcheck/check_libical.py FILE [FROM TO]

FROM/TO (YYYY-MM-DD, inclusive) add each event's occurrences in that range, RRULE expanded.
Output mirrors check_icaljs.mjs: {"parser", "errors", "itip", "calendar", "events": [...]}.
`errors` lists every X-LIC-ERROR property libical inserted while parsing (its way of reporting
an unparseable line or value). `itip` lists what libical's RFC 5546 restriction check adds on a
copy, kept apart because METHOD:PUBLISH feeds without ORGANIZER are common and accepted.
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I  # noqa: E402

ANY_COMPONENT = I.ComponentKind.ANY_COMPONENT
VEVENT = I.ComponentKind.VEVENT_COMPONENT
VALARM = I.ComponentKind.VALARM_COMPONENT
XLICERROR = I.PropertyKind.XLICERROR_PROPERTY


def lic_errors(component, where):
    """Every X-LIC-ERROR in this component and below, as 'path: text'."""
    found = []
    prop = component.get_first_property(XLICERROR)
    while prop is not None:
        found.append(f"{where}: {prop.get_value_as_string()}")
        prop = component.get_next_property(XLICERROR)
    sub = component.get_first_component(ANY_COMPONENT)
    while sub is not None:
        name = I.Component.kind_to_string(sub.isa())
        found.extend(lic_errors(sub, f"{where}/{name}"))
        sub = component.get_next_component(ANY_COMPONENT)
    return found


def components(parent, kind):
    sub = parent.get_first_component(kind)
    while sub is not None:
        yield sub
        sub = parent.get_next_component(kind)


def property_named(component, name):
    """The first property called `name` (works for X- and RFC 7986 properties alike)."""
    prop = component.get_first_property(I.PropertyKind.ANY_PROPERTY)
    while prop is not None:
        if prop.get_property_name() == name:
            return prop
        prop = component.get_next_property(I.PropertyKind.ANY_PROPERTY)
    return None


def first_named(component, name):
    """Its value as text: unescaped for TEXT and X- values, else libical's string form."""
    prop = property_named(component, name)
    if prop is None:
        return None
    value = prop.get_value()
    kind = value.isa()
    # get_text() on a non-TEXT value crashes libical-glib, so check the kind first.
    if kind == I.ValueKind.TEXT_VALUE:
        return value.get_text()
    if kind == I.ValueKind.X_VALUE:
        return value.get_x()
    return prop.get_value_as_string()


def value_type(component, name):
    prop = property_named(component, name)
    if prop is None:
        return None
    return I.Value.kind_to_string(prop.get_value().isa()).lower()


def iso(t):
    if t is None or t.is_null_time():
        return None
    day = f"{t.get_year():04d}-{t.get_month():02d}-{t.get_day():02d}"
    if t.is_date():
        return day
    utc = "Z" if t.is_utc() else ""
    return f"{day}T{t.get_hour():02d}:{t.get_minute():02d}:{t.get_second():02d}{utc}"


def occurrences(event, since, until):
    start = event.get_dtstart()
    rule_prop = event.get_first_property(I.PropertyKind.RRULE_PROPERTY)
    if rule_prop is None:
        day = iso(start)[:10]
        return [iso(start)] if since <= day <= until else []
    found = []
    iterator = I.RecurIterator.new(rule_prop.get_rrule(), start)
    for _ in range(100000):
        t = iterator.next()
        if t is None or t.is_null_time():
            break
        day = iso(t)[:10]
        if day > until:
            break
        if day >= since:
            found.append(iso(t))
    return found


def event_record(event, since, until):
    rule_prop = event.get_first_property(I.PropertyKind.RRULE_PROPERTY)
    start = event.get_dtstart()
    record = {
        "uid": event.get_uid(),
        "summary": event.get_summary(),
        "description": event.get_description(),
        "start": iso(start),
        "end": iso(event.get_dtend()),
        "allDay": bool(start is not None and start.is_date()),
        "sequence": event.get_sequence(),
        "rrule": rule_prop.get_rrule().to_string() if rule_prop is not None else None,
        "alarms": [
            {"action": first_named(alarm, "ACTION"), "trigger": first_named(alarm, "TRIGGER")}
            for alarm in components(event, VALARM)
        ],
    }
    if since and until:
        record["occurrences"] = occurrences(event, since, until)
    return record


def main(argv):
    path = argv[1]
    since, until = (argv[2], argv[3]) if len(argv) > 3 else (None, None)
    out = {"parser": "libical", "errors": [], "itip": [], "calendar": {}, "events": []}
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        out["errors"].append(f"not UTF-8: {exc}")
        text = raw.decode("utf-8", "replace")
    if not text.endswith("\r\n") or "\n" in text.replace("\r\n", ""):
        out["errors"].append("lines are not all CRLF-terminated (RFC 5545 s3.1)")
    try:
        root = I.Component.new_from_string(text)
    except TypeError:  # the GI binding raises instead of returning NULL
        root = None
    if root is None:
        out["errors"].append("libical could not parse the file at all")
        print(json.dumps(out))
        return
    if root.isa() != I.ComponentKind.VCALENDAR_COMPONENT:
        out["errors"].append(f"root component is {I.Component.kind_to_string(root.isa())}")
    out["errors"].extend(lic_errors(root, "VCALENDAR"))

    checked = root.clone()
    I.restriction_check(checked)
    out["itip"] = [e for e in lic_errors(checked, "VCALENDAR") if e not in out["errors"]]

    out["calendar"] = {
        name: first_named(root, key)
        for name, key in [
            ("version", "VERSION"),
            ("prodid", "PRODID"),
            ("method", "METHOD"),
            ("name", "NAME"),
            ("xWrCalname", "X-WR-CALNAME"),
            ("refreshInterval", "REFRESH-INTERVAL"),
            ("publishedTtl", "X-PUBLISHED-TTL"),
        ]
    }
    out["calendar"]["refreshIntervalValueType"] = value_type(root, "REFRESH-INTERVAL")
    for event in components(root, VEVENT):
        try:
            out["events"].append(event_record(event, since, until))
        except Exception as exc:  # a value libical dropped (e.g. DTSTART) breaks the walk
            out["errors"].append(f"VEVENT {event.get_uid()}: {type(exc).__name__}: {exc}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
