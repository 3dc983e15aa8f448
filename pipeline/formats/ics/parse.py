"""Meetings from a calendar export (.ics): who the user met, when, deduplicated by UID."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from icalendar import Component

from pipeline.formats.decode import decode_bytes
from pipeline.formats.ics.budget import MAX_TOTAL_OCCURRENCES, estimate, shares
from pipeline.formats.ics.events import read_series, window_for
from pipeline.formats.ics.expand import MAX_OCCURRENCES, UTC, aware, expand
from pipeline.formats.ics.lines import CalendarScan, scan
from pipeline.formats.ics.people import read_attendance
from pipeline.models import CalendarInteraction, ImportIssue, ParseResult, UnreadableFile
from pipeline.normalize import normalize_email


@dataclass(frozen=True, slots=True)
class CalendarMeeting(CalendarInteraction):
    """A CalendarInteraction that also carries the display names (CN) seen for its people."""

    names: tuple[tuple[str, str], ...] = ()


def parse_calendar(
    raw: bytes,
    *,
    own_emails: frozenset[str] = frozenset(),
    window_start: dt.datetime | None = None,
    window_end: dt.datetime | None = None,
    max_occurrences: int = MAX_OCCURRENCES,
    max_total: int = MAX_TOTAL_OCCURRENCES,
    zone: dt.tzinfo = UTC,
) -> ParseResult:
    """Every meeting with at least one other person, one interaction per occurrence.

    Occurrences are read from `window_start` (inclusive) to `window_end` (exclusive); without
    them the window runs from the earliest start in the file to one year after the latest, so
    an RRULE without end stays bounded. Naive bounds are read as UTC. A series yields at most
    its latest `max_occurrences`, and a file at most about `max_total` (shared out fairly
    between its series). `zone` is the user's time zone: floating times are read in it (unless
    the file names its own with X-WR-TIMEZONE) and an all-day meeting is stored at noon of its
    day there, as a day logged by hand is. Raises UnreadableFile
    only when the bytes are not iCalendar at all; a bad event is an issue, never an exception.
    """
    text, _ = decode_bytes(raw)
    found = scan(text)
    if not found.has_calendar and not found.events:
        raise UnreadableFile("not an iCalendar file (no BEGIN:VCALENDAR)")
    issues = list(found.issues)
    if not found.has_calendar:
        issues.append(ImportIssue(1, "no BEGIN:VCALENDAR; the events are read anyway"))
    own = _own_addresses(own_emails, found)
    floating = _floating_zone(found, issues, zone)
    series = read_series(found, floating, issues)
    interactions: list[CalendarInteraction] = []
    # RFC 5546 section 3.2.5: METHOD:CANCEL carries meetings that no longer take place.
    if series and (found.property("METHOD") or "").upper() != "CANCEL":
        window = window_for(series, floating, window_start, window_end)
        needs = [min(max_occurrences, estimate(one, window, floating)) for one in series]
        seen: set[str] = set()
        for one, cap in zip(series, shares(needs, max_total), strict=True):
            occurrences, problems = expand(one, window, floating=floating, cap=cap)
            issues.extend(problems)
            for occurrence in occurrences:
                attendance = read_attendance(occurrence.component, own)
                if attendance.user_declined or not attendance.emails or occurrence.key in seen:
                    continue
                seen.add(occurrence.key)
                interactions.append(
                    CalendarMeeting(
                        at=_start(occurrence.component, occurrence.at, zone),
                        kind="meeting",
                        emails=attendance.emails,
                        attendee_count=attendance.count,
                        key=occurrence.key,
                        summary=str(occurrence.component.get("SUMMARY", "")).strip(),
                        names=attendance.names,
                    )
                )
    interactions.sort(key=lambda item: (item.at, item.key))
    issues.sort(key=lambda issue: issue.line)
    return ParseResult(format="ics", contacts=[], issues=issues, interactions=interactions)


def split_past_future(
    items: list[CalendarInteraction], now: dt.datetime
) -> tuple[list[CalendarInteraction], list[CalendarInteraction]]:
    """(meetings that have started by `now`, planned ones), each in the order given."""
    moment = aware(now)
    past = [item for item in items if item.at <= moment]
    future = [item for item in items if item.at > moment]
    return past, future


def frequent_unknown_attendees(
    items: Iterable[CalendarInteraction],
    known_emails: set[str],
    *,
    min_meetings: int = 2,
    names: Mapping[str, str] | None = None,
) -> list[tuple[str, str | None, int]]:
    """People met at least `min_meetings` times who are not contacts yet, most met first.

    Each entry is (email, display name from a CN if any was seen, number of meetings). Names
    come from CalendarMeeting items, or from `names` (email -> name) for plain interactions.
    """
    known = {email.casefold() for email in known_emails}
    counts: Counter[str] = Counter()
    seen_names: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        for email in set(item.emails):
            if email.casefold() not in known:
                counts[email.casefold()] += 1
        for email, name in getattr(item, "names", ()):
            seen_names[email.casefold()][name] += 1
    result: list[tuple[str, str | None, int]] = []
    for email, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])):
        if count < min_meetings:
            continue
        votes = seen_names.get(email)
        # The most used spelling wins; ties go to the alphabetically first, for stable output.
        name = min(votes.items(), key=lambda pair: (-pair[1], pair[0]))[0] if votes else None
        result.append((email, name or (names or {}).get(email), count))
    return result


def _own_addresses(own_emails: frozenset[str], found: CalendarScan) -> frozenset[str]:
    """The user's addresses; Google names a user's primary calendar after its address."""
    own = {normalize_email(email) or email.casefold() for email in own_emails}
    calendar_name = normalize_email(found.property("X-WR-CALNAME"))
    if calendar_name:
        own.add(calendar_name)
    return frozenset(own)


def _start(component: Component, at: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """When a meeting took place. RFC 5545 section 3.3.4: a DATE names a calendar day in no
    zone at all; for the user it is their own day, so noon there (midnight UTC would land a
    day early west of UTC)."""
    value = getattr(component.get("DTSTART"), "dt", None)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(12), tzinfo=zone).astimezone(UTC)
    return at


def _floating_zone(found: CalendarScan, issues: list[ImportIssue], zone: dt.tzinfo) -> dt.tzinfo:
    """Where floating times happen (RFC 5545 section 3.3.5: local wherever the reader is):
    X-WR-TIMEZONE (Google, Apple) if it names a zone, else the user's `zone`."""
    name = found.property("X-WR-TIMEZONE")
    if not name:
        return zone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        line = next((p.number for p in found.properties if p.name == "X-WR-TIMEZONE"), 1)
        where = "UTC" if zone is UTC else str(zone)
        issues.append(
            ImportIssue(line, f"unknown X-WR-TIMEZONE {name!r}; floating times read as {where}")
        )
        return zone
