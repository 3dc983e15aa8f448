"""VEVENTs read one by one: broken values reported and dropped, then grouped by UID."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from icalendar import Calendar, Component, vBroken, vRecur

from pipeline.formats.ics.expand import EARLIEST, LATEST, UTC, Series, aware, to_utc
from pipeline.formats.ics.lines import Block, CalendarScan
from pipeline.formats.ics.rules import rule_problem
from pipeline.models import ImportIssue

DEFAULT_HORIZON = dt.timedelta(days=365)  # past the latest start in the file, when no window
MAX_LENGTH = dt.timedelta(days=366)  # a longer DTEND/DURATION is taken for a typo
# RFC 5545 section 3.6.1: at most once in a VEVENT; a repeat means a damaged file.
_ONCE = ("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "STATUS", "SUMMARY", "ORGANIZER")


def read_series(
    found: CalendarScan, floating: dt.tzinfo, issues: list[ImportIssue]
) -> list[Series]:
    """The file's usable events grouped by UID, in file order (problems go to `issues`)."""
    return _series(_read_events(found, issues), floating, issues)


def _wrap(timezones: list[Block], events: list[Block]) -> str:
    parts = ["BEGIN:VCALENDAR", "VERSION:2.0"]
    parts += [block.text() for block in timezones]
    parts += [block.text() for block in events]
    parts.append("END:VCALENDAR")
    return "\r\n".join(parts) + "\r\n"


def _read_events(found: CalendarScan, issues: list[ImportIssue]) -> list[tuple[Block, Component]]:
    """Each VEVENT block parsed by icalendar: all at once, else one by one (then also without
    the file's VTIMEZONEs, in case those are what breaks). Blocks never nest VEVENTs, so the
    i-th parsed VEVENT is the i-th block."""
    try:
        parsed = Calendar.from_ical(_wrap(found.timezones, found.events)).walk("VEVENT")
    except Exception:  # icalendar raises ValueError and friends on a broken structure
        parsed = []
    if len(parsed) == len(found.events):
        return list(zip(found.events, parsed, strict=True))
    pairs: list[tuple[Block, Component]] = []
    for block in found.events:
        error: Exception | None = None
        for timezones in (found.timezones, []):
            try:
                pairs.append(
                    (block, Calendar.from_ical(_wrap(timezones, [block])).walk("VEVENT")[0])
                )
                break
            except Exception as exc:
                error = exc
        else:
            issues.append(ImportIssue(block.line, f"event could not be read: {error}"))
    return pairs


def _usable(block: Block, event: Component, floating: dt.tzinfo, issues: list[ImportIssue]) -> bool:
    """Report the event's broken lines and drop broken values; False when it cannot be placed."""
    _collapse_repeats(block, event, issues)
    for name in ("DTSTART", "RECURRENCE-ID"):
        problem = _unplaceable(event, name, floating)
        if problem:
            issues.append(ImportIssue(block.line_of(name), f"event skipped: {problem}"))
            return False
    for prop, message in event.errors:
        fragment = message.split("'")[1] if prop is None and message.count("'") >= 2 else ""
        issues.append(
            ImportIssue(block.line_of(prop, fragment), f"{prop or 'line'} ignored: {message}")
        )
    for name in ("DTSTART", "RECURRENCE-ID"):
        value = event.get(name)
        tzid = value.params.get("TZID") if value is not None else None
        when = getattr(value, "dt", None)
        if tzid and isinstance(when, dt.datetime) and when.tzinfo is None:
            zone = "UTC" if floating is UTC else str(floating)
            message = f"unknown time zone {tzid!r}; read as {zone}"
            issues.append(ImportIssue(block.line_of(name), message))
    _drop_broken(event)
    _check_length(block, event, floating, issues)
    _check_rules(block, event, floating, issues)
    return True


def _check_rules(
    block: Block, event: Component, floating: dt.tzinfo, issues: list[ImportIssue]
) -> None:
    """Drop an RRULE that dateutil could not expand in bounded time (the DTSTART still counts).

    An UNTIL before DTSTART leaves only DTSTART, but dateutil still walks to the year 9999.
    """
    start = to_utc(getattr(event.get("DTSTART"), "dt", None), floating)
    value = event.get("RRULE")
    for rule in value if isinstance(value, list) else [value]:
        if not isinstance(rule, vRecur):
            continue
        until = to_utc((rule.get("UNTIL") or [None])[0], floating)
        problem = rule_problem(rule)
        if not problem and until is not None and start is not None and until < start:
            problem = "UNTIL is before DTSTART"
        if problem:
            issues.append(ImportIssue(block.line_of("RRULE"), f"RRULE ignored: {problem}"))
            del event["RRULE"]
            return


def _collapse_repeats(block: Block, event: Component, issues: list[ImportIssue]) -> None:
    for name in _ONCE:
        value = event.get(name)
        if isinstance(value, list):
            repeats = block.lines_of(name)[1:]
            where = repeats[0] if repeats else block.line
            issues.append(ImportIssue(where, f"{name} appears {len(value)} times; first used"))
            event[name] = value[0]


def _unplaceable(event: Component, name: str, floating: dt.tzinfo) -> str:
    """Why the DTSTART or RECURRENCE-ID of `event` cannot place it in time ('' if it can)."""
    value = event.get(name)
    if value is None:
        return "no DTSTART" if name == "DTSTART" else ""
    if isinstance(value, vBroken):
        return f"no readable {name}: {value.parse_error}"
    moment = to_utc(getattr(value, "dt", None), floating)
    if moment is None:
        return f"no readable {name}"
    if not EARLIEST <= moment < LATEST:
        return f"{name} {moment:%Y-%m-%d} is not in the years {EARLIEST.year}-{LATEST.year - 1}"
    return ""


def _drop_broken(event: Component) -> None:
    """Forget values icalendar could not parse (already reported), keeping good list items."""
    for name, value in list(event.items()):
        if isinstance(value, vBroken):
            del event[name]
        elif isinstance(value, list) and any(isinstance(v, vBroken) for v in value):
            kept = [v for v in value if not isinstance(v, vBroken)]
            if kept:
                event[name] = kept
            else:
                del event[name]


def _check_length(
    block: Block, event: Component, floating: dt.tzinfo, issues: list[ImportIssue]
) -> None:
    """Drop an end before the start or over a year after it.

    recurring_ical_events widens every query by the event's length, so a damaged DTEND (a year
    typo) would make it walk thousands of years of occurrences.
    """
    start = to_utc(getattr(event.get("DTSTART"), "dt", None), floating)
    if start is None:
        return
    for name in ("DTEND", "DURATION"):
        value = getattr(event.get(name), "dt", None)
        length = value if isinstance(value, dt.timedelta) else None
        end = to_utc(value, floating) if length is None else None
        if end is not None:
            length = end - start
        if length is not None and not dt.timedelta(0) <= length <= MAX_LENGTH:
            message = f"{name} ignored: not within a year after DTSTART"
            issues.append(ImportIssue(block.line_of(name), message))
            del event[name]


def _series(
    events: list[tuple[Block, Component]], floating: dt.tzinfo, issues: list[ImportIssue]
) -> list[Series]:
    """Usable events grouped by UID, in file order; an event without UID is a series of its own."""
    groups: dict[str, Series] = {}
    for block, event in events:
        if not _usable(block, event, floating, issues):
            continue
        uid = str(event.get("UID", "")).strip()
        if not uid:
            # Stable across re-exports: DTSTAMP and LAST-MODIFIED change, these lines do not.
            stable = [
                line.text
                for line in block.lines
                if line.name in ("DTSTART", "SUMMARY", "ORGANIZER")
            ]
            uid = "nouid-" + hashlib.sha1("\n".join(stable).encode("utf-8")).hexdigest()[:16]
            if uid in groups:  # the same lines twice: one meeting written twice
                continue
            event["UID"] = uid
        groups.setdefault(uid, Series(uid, block.line)).components.append(event)
    return list(groups.values())


def _starts(one: Series, floating: dt.tzinfo) -> Iterable[dt.datetime]:
    """Every start the series' components name: DTSTART, RECURRENCE-ID and RDATE values."""
    for component in one.components:
        for name in ("DTSTART", "RECURRENCE-ID", "RDATE"):
            value = component.get(name)
            for prop in value if isinstance(value, list) else [value]:
                for item in getattr(prop, "dts", None) or [prop]:
                    moment = to_utc(getattr(item, "dt", None), floating)
                    if moment is not None:
                        yield moment


def window_for(
    series: list[Series],
    floating: dt.tzinfo,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> tuple[dt.datetime, dt.datetime]:
    """The expansion window in UTC: the bounds given, else derived from the file's starts."""
    if start is None or end is None:
        starts = [
            moment
            for one in series
            for moment in _starts(one, floating)
            if EARLIEST <= moment < LATEST
        ]
        if not starts:
            starts = [dt.datetime(1970, 1, 1, tzinfo=UTC)]
        start = start if start is not None else min(starts)
        end = end if end is not None else max(starts) + DEFAULT_HORIZON
    return max(aware(start), EARLIEST), min(aware(end), LATEST)
