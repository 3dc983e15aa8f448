"""Render the subscribed iCalendar feed: reconnect reminders, birthdays and follow-ups as bytes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import partial

from icalendar import Alarm, Calendar, Event, vDuration, vRecur, vText

from pipeline.feed.items import BirthdayItem, FeedCalendar, FollowUpItem, ReminderItem
from pipeline.feed.memo import MEMO_LIMIT, put
from pipeline.normalize import ICAL_TEXT_CONTROLS

# The items are defined in pipeline/feed/items.py and re-exported here, where they always were.
__all__ = ["BirthdayItem", "FeedCalendar", "FollowUpItem", "ReminderItem", "render_feed"]

PRODID = "-//Kith//Kith reconnect feed 1.0//EN"
# No comma or semicolon: ical.js and others read X-WR-CALDESC raw, without TEXT unescaping.
CALENDAR_DESCRIPTION = "Reconnect reminders and follow-ups from Kith"

# Text is capped per event so even 500 reminders of 4-byte emoji stay under Google's 1 MB feed
# limit (tech.md s4); realistic text gives about 0.6 KB per reminder.
NAME_LIMIT = 64
NOTE_LIMIT = 140
WHAT_LIMIT = 140

# A birthday "year" before this is a placeholder, not a birth year (Apple writes 1604 when the
# year is omitted), so such birthdays are rendered like `--MM-DD` ones.
FIRST_REAL_BIRTH_YEAR = 1900
# No-year birthdays start in 2000: a leap year, so `--02-29` is a valid DTSTART.
NO_YEAR_START = 2000

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_WS = re.compile(r"\s+")
_BIRTHDAY = re.compile(r"^(?:(\d{4})|--)-?(\d{2})-?(\d{2})$")


def render_feed(
    cal: FeedCalendar,
    reminders: Iterable[ReminderItem],
    birthdays: Iterable[BirthdayItem],
    followups: Iterable[FollowUpItem],
    *,
    today: dt.date,
    past_days: int = 7,
    horizon_days: int = 90,
) -> bytes:
    """The whole VCALENDAR, CRLF and folded; the same data always gives the same bytes.

    Reminders and follow-ups outside `[today - past_days, today + horizon_days]` are left out;
    birthdays recur and are always in. Nothing in an event depends on `today`, so an unrelated
    change never alters another event's bytes. Raises ValueError on a naive `changed_at` or an
    out-of-range setting.
    """
    if cal.alarm_hour is not None and not 0 <= cal.alarm_hour <= 23:
        raise ValueError(f"alarm_hour must be 0-23, got {cal.alarm_hour}")
    if cal.refresh_hours < 1:
        raise ValueError(f"refresh_hours must be at least 1, got {cal.refresh_hours}")
    if past_days < 0 or horizon_days < 0:
        raise ValueError("past_days and horizon_days must not be negative")
    first, last = today - dt.timedelta(days=past_days), today + dt.timedelta(days=horizon_days)
    base = cal.base_url.rstrip("/")

    # Duplicate keys are a caller bug; the latest item wins whatever the input order (repr breaks
    # the remaining ties), so a permutation of the input can never change the bytes. Without
    # duplicates (the usual case) no item replaces another and the events are ordered by day and
    # UID below, so the input order cannot matter and the sort (repr per item: about a third of a
    # re-render's time) is skipped.
    reminders, birthdays, followups = list(reminders), list(birthdays), list(followups)
    # A naive time is refused even when its item is not rendered.
    for changed_at in [
        *(r.changed_at for r in reminders),
        *(b.changed_at for b in birthdays),
        *(f.changed_at for f in followups),
    ]:
        if changed_at.tzinfo is None:  # only then does _utc refuse it; the check is per item
            _utc(changed_at)
    if len({r.uid for r in reminders}) < len(reminders):
        reminders = sorted(reminders, key=lambda r: (r.sequence, _utc(r.changed_at), repr(r)))
    if len({b.contact_id for b in birthdays}) < len(birthdays):
        birthdays = sorted(birthdays, key=lambda b: (_utc(b.changed_at), repr(b)))
    if len({f.id for f in followups}) < len(followups):
        followups = sorted(followups, key=lambda f: (_utc(f.changed_at), repr(f)))
    latest = {r.uid: r for r in reminders}
    events: dict[str, tuple[dt.date, bytes]] = {}
    alarm, user_key = cal.alarm_hour, cal.user_key
    for item in latest.values():
        if first <= item.day <= last:
            build = partial(_reminder_event, item, base, alarm)
            put(events, ("r", item, base, alarm), build)
    for birthday in birthdays:
        build_birthday = partial(_birthday_event, birthday, user_key, base, alarm)
        put(events, ("b", birthday, user_key, base, alarm), build_birthday)
    for followup in followups:
        if first <= followup.due_on <= last:
            build = partial(_followup_event, followup, user_key, base, alarm)
            put(events, ("f", followup, user_key, base, alarm), build)

    head = _HEADS.get(cal)
    if head is None:
        head = _calendar(cal).to_ical()
        assert head.endswith(_END)
        if len(_HEADS) >= MEMO_LIMIT:
            _HEADS.clear()
        _HEADS[cal] = head
    chunks = [events[uid][1] for uid in sorted(events, key=lambda u: (events[u][0], u))]
    return head[: -len(_END)] + b"".join(chunks) + _END


_END = b"END:VCALENDAR\r\n"
# The VCALENDAR head depends only on the (frozen) settings: kept like the events' bytes
# (pipeline/feed/memo.py), same bound.
_HEADS: dict[FeedCalendar, bytes] = {}


class _Text(vText):
    """TEXT escaped exactly as RFC 5545 s3.3.11 says: backslash, semicolon, comma, line break.
    icalendar 7's vText first rewrites a literal backslash-N of the text as a line break (step 1
    of its escaping), so a contact named "\\N" would read back as a newline (Hypothesis found it)."""

    def to_ical(self) -> bytes:
        text = str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
        return text.encode("utf-8")  # the feed is UTF-8 throughout (RFC 5545 s3.1.4)


def _calendar(cal: FeedCalendar) -> Calendar:
    # Plain Calendar() rather than Calendar.new(): .new() invents a random UID when none is given.
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    # icalendar types NAME and X-WR-* as "unknown" and would write commas and semicolons raw;
    # vText escapes them as the TEXT value type requires (RFC 5545 s3.3.11).
    name = _Text(_one_line(cal.name, NAME_LIMIT) or "Kith")
    calendar.add("NAME", name)  # RFC 7986 s5.1
    calendar.add("X-WR-CALNAME", name)  # the de-facto name most clients read
    calendar.add("DESCRIPTION", _Text(CALENDAR_DESCRIPTION))  # RFC 7986 s5.2
    calendar.add("X-WR-CALDESC", _Text(CALENDAR_DESCRIPTION))
    refresh = dt.timedelta(hours=cal.refresh_hours)
    # RFC 7986 s5.7 requires VALUE=DURATION on REFRESH-INTERVAL; icalendar omits it by default.
    calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
    # A bare timedelta would serialise as "6:00:00"; vDuration gives the RFC 5545 form PT6H.
    calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    return calendar


def _reminder_event(item: ReminderItem, base: str, alarm_hour: int | None) -> Event:
    summary = f"Reconnect with {_name(item.name)}"
    lines = [_why(item), _last(item)]
    note = _multi_line(item.note, NOTE_LIMIT)
    if note:
        lines.append(f"Note: {note}")
    lines.append(f"Open in Kith: {_contact_url(base, item.contact_id)}")
    return _all_day_event(
        uid=item.uid,
        summary=summary,
        description="\n".join(lines),
        day=item.day,
        sequence=item.sequence,
        changed_at=item.changed_at,
        url=_contact_url(base, item.contact_id),
        alarm_hour=alarm_hour,
    )


def _birthday_event(
    item: BirthdayItem, user_key: str, base: str, alarm_hour: int | None
) -> Event | None:
    parsed = _parse_birthday(item.birthday)
    if parsed is None:
        return None  # unreadable birthday text: no event rather than a broken feed
    start, year_known = parsed
    lines = [f"Born {start.isoformat()}."] if year_known else []
    lines.append(f"Open in Kith: {_contact_url(base, item.contact_id)}")
    event = _all_day_event(
        uid=f"birthday-{item.contact_id}-{user_key}@kith",
        summary=f"Birthday: {_name(item.name)}",
        description="\n".join(lines),
        day=start,
        sequence=_derived_sequence(item.changed_at),
        changed_at=item.changed_at,
        url=_contact_url(base, item.contact_id),
        alarm_hour=alarm_hour,
    )
    rule: dict[str, object] = {"FREQ": "YEARLY"}
    if (start.month, start.day) == (2, 29):
        # RFC 5545 s3.3.10: a recurrence that produces an invalid date (Feb 29 in a common year)
        # MUST be ignored, so a plain yearly rule would show the birthday once in four years.
        # BYMONTHDAY=-1 is "the last day of February": Feb 29 in leap years, Feb 28 otherwise.
        rule.update({"BYMONTH": 2, "BYMONTHDAY": -1})
    event.add("RRULE", vRecur(rule))
    return event


def _followup_event(item: FollowUpItem, user_key: str, base: str, alarm_hour: int | None) -> Event:
    what_line = _one_line(item.what, WHAT_LIMIT)
    summary = f"Follow up with {_name(item.name)}"
    if what_line:
        summary = f"{summary}: {what_line}"
    lines = [f"You said you would: {_multi_line(item.what, WHAT_LIMIT)}"] if what_line else []
    lines.append(f"Open in Kith: {_contact_url(base, item.contact_id)}")
    return _all_day_event(
        uid=f"followup-{item.id}-{user_key}@kith",
        summary=summary,
        description="\n".join(lines),
        day=item.due_on,
        sequence=_derived_sequence(item.changed_at),
        changed_at=item.changed_at,
        url=_contact_url(base, item.contact_id),
        alarm_hour=alarm_hour,
    )


def _all_day_event(
    *,
    uid: str,
    summary: str,
    description: str,
    day: dt.date,
    sequence: int,
    changed_at: dt.datetime,
    url: str,
    alarm_hour: int | None,
) -> Event:
    # Plain Event() rather than Event.new(): .new() fills a missing DTSTAMP from the clock.
    event = Event()
    stamp = _utc(changed_at)
    event.add("UID", uid)
    event.add("DTSTAMP", stamp)  # RFC 5545 s3.8.7.2; from data so reruns give the same bytes
    event.add("LAST-MODIFIED", stamp)
    event.add("SEQUENCE", max(sequence, 0))
    # All-day: DATE values (no timezone at all) and an exclusive DTEND (RFC 5545 s3.6.1).
    event.add("DTSTART", day)
    event.add("DTEND", day + dt.timedelta(days=1))
    event.add("SUMMARY", _Text(summary))
    event.add("DESCRIPTION", _Text(description))
    event.add("URL", url)
    event.add("TRANSP", "TRANSPARENT")  # a nudge, not a meeting: never blocks free/busy time
    if alarm_hour is not None:
        alarm = Alarm()  # not Alarm.new(): it may add a random UID
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", _Text(summary))  # required for DISPLAY alarms (RFC 5545 s3.6.6)
        # Relative to the all-day DTSTART, i.e. local midnight, so PT9H rings at 09:00.
        alarm.add("TRIGGER", dt.timedelta(hours=alarm_hour))
        event.add_component(alarm)
    return event


def _why(item: ReminderItem) -> str:
    circle = _one_line(item.circle, NAME_LIMIT)
    where = f"in {circle}" if circle else "(no circle)"
    return f"Health {max(0, min(item.health, 100))}/100 {where}."


def _last(item: ReminderItem) -> str:
    """The last interaction, dated absolutely so the text never depends on today."""
    if item.last_on is None:
        return f"Last: {_kind(item.last_kind)}." if item.last_kind else "No interaction logged yet."
    text = f"Last: {_kind(item.last_kind or 'interaction')} on {item.last_on.isoformat()}"
    gap = (item.day - item.last_on).days
    if gap > 0:
        text += f" ({gap} day{'s' if gap != 1 else ''} before this reminder)"
    return text + "."


def _kind(kind: str | None) -> str:
    return (_one_line(kind, NAME_LIMIT) or "interaction").replace("-", " ")


def _name(name: str) -> str:
    return _one_line(name, NAME_LIMIT) or "(no name)"


def _contact_url(base: str, contact_id: int) -> str:
    return f"{base}/#/contacts/{contact_id}"


def _parse_birthday(text: str) -> tuple[dt.date, bool] | None:
    """(first occurrence, year known) for `YYYY-MM-DD`/`--MM-DD` (and their basic forms)."""
    match = _BIRTHDAY.match(text.strip())
    if match is None:
        return None
    year = int(match[1]) if match[1] else 0
    year_known = year >= FIRST_REAL_BIRTH_YEAR
    try:
        start = dt.date(year if year_known else NO_YEAR_START, int(match[2]), int(match[3]))
    except ValueError:
        return None
    return start, year_known


def _derived_sequence(changed_at: dt.datetime) -> int:
    # Birthdays and follow-ups have no stored revision; minutes since 2000 grow with every edit,
    # which is all RFC 5545 s3.8.7.4 asks of SEQUENCE, and stay far below 2**31.
    origin = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return max(0, int((_utc(changed_at) - origin).total_seconds() // 60))


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"changed_at must be timezone-aware, got {value.isoformat()}")
    return value.astimezone(dt.UTC).replace(microsecond=0)


def _sanitize(text: str) -> str:
    # RFC 5545 s3.3.11: TEXT may not hold control characters other than HTAB (the policy, and why
    # it differs from record text, is in pipeline/normalize.py); lone surrogates cannot be encoded
    # as UTF-8 at all. Line breaks are kept as "\n" and escaped by icalendar.
    text = _SURROGATE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    return ICAL_TEXT_CONTROLS.sub("", text)


def _one_line(text: str | None, limit: int) -> str:
    return _truncate(_WS.sub(" ", _sanitize(text or "")).strip(), limit)


def _multi_line(text: str | None, limit: int) -> str:
    lines = (_WS.sub(" ", line).strip() for line in _sanitize(text or "").split("\n"))
    return _truncate("\n".join(line for line in lines if line), limit)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
