"""One event series (a UID with its overrides) expanded into dated occurrences, safely bounded."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import recurring_ical_events
from icalendar import Calendar, Component, vRecur

from pipeline.models import ImportIssue

UTC = dt.UTC
# Meetings outside these years are typos (a DTSTART of 80200106); they also keep every
# datetime sum below away from year 1 and 9999, where Python raises OverflowError.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=UTC)
MAX_OCCURRENCES = 500  # per series: a daily stand-up over two years is ~500 meetings
# dateutil walks every candidate from DTSTART, so a dense rule (FREQ=SECONDLY, BYHOUR lists)
# could take minutes; stop expanding a series once this many candidates would be walked.
MAX_CANDIDATES = 20_000
_PAD = dt.timedelta(days=1)  # floating and all-day values shift by up to 14 h against UTC
_PERIOD_DAYS = {
    "SECONDLY": 1 / 86400,
    "MINUTELY": 1 / 1440,
    "HOURLY": 1 / 24,
    "DAILY": 1.0,
    "WEEKLY": 7.0,
    "MONTHLY": 28.0,
    "YEARLY": 365.0,
}
_FINER = list(_PERIOD_DAYS)  # from the finest to the coarsest frequency


@dataclass(frozen=True, slots=True)
class Occurrence:
    component: Component  # the occurrence as recurring_ical_events built it (override applied)
    at: dt.datetime  # its start, aware UTC
    key: str


@dataclass(slots=True)
class Series:
    """The VEVENTs sharing one UID: a master (RRULE/RDATE) and its RECURRENCE-ID overrides."""

    uid: str
    line: int
    components: list[Component] = field(default_factory=list)

    @property
    def master(self) -> Component:
        plain = [c for c in self.components if c.get("RECURRENCE-ID") is None]
        return (plain or self.components)[0]

    @property
    def recurring(self) -> bool:
        return any(
            c.get(name) is not None
            for c in self.components
            for name in ("RRULE", "RDATE", "RECURRENCE-ID")
        )

    @property
    def summary(self) -> str:
        return str(self.master.get("SUMMARY", "")).strip()


def to_utc(value: object, floating: dt.tzinfo = UTC) -> dt.datetime | None:
    """An aware UTC datetime for a DATE, DATE-TIME or PERIOD value (None if it is none of those).

    RFC 5545 section 3.3.5: a DATE-TIME without Z or TZID is floating (local wherever the reader
    is); with no better knowledge it is read in `floating`. A DATE (all-day) becomes midnight UTC.
    """
    if isinstance(value, tuple) and value:  # RDATE;VALUE=PERIOD: (start, end or duration)
        value = value[0]
    try:
        if isinstance(value, dt.datetime):
            local = value if value.tzinfo is not None else value.replace(tzinfo=floating)
            return local.astimezone(UTC)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 shifted across midnight
        return None
    return None


def aware(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC; a naive one is taken to be UTC already."""
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _rules(component: Component) -> list[vRecur]:
    value = component.get("RRULE")
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, vRecur)]


def _first(rule: vRecur, name: str, default: str) -> str:
    values = rule.get(name) or [default]
    return str(values[0]).upper()


def _factor(rule: vRecur, freq: str) -> float:
    """How many candidates one FREQ period yields at most, from the BYxxx lists that expand it
    (RFC 5545 section 3.3.10, the "expand" cells of the BYxxx table)."""
    level = _FINER.index(freq)
    factor = 1.0
    for part, coarser_than in (("BYSECOND", 0), ("BYMINUTE", 1), ("BYHOUR", 2)):
        if level > coarser_than and rule.get(part):
            factor *= len(rule[part])
    expanding = {"MONTHLY": ("BYMONTHDAY",), "YEARLY": ("BYMONTH", "BYMONTHDAY", "BYYEARDAY")}
    for part in (*expanding.get(freq, ()), *(("BYWEEKNO",) if freq == "YEARLY" else ())):
        factor *= len(rule.get(part) or [1])
    days = [str(day) for day in rule.get("BYDAY") or []]
    if days and freq in ("WEEKLY", "MONTHLY", "YEARLY"):
        # "MO" means every Monday of the month (up to 5) or year (up to 53); "1MO" just one.
        every = {"WEEKLY": 1, "MONTHLY": 5, "YEARLY": 53}[freq]
        factor *= sum(1 if day[0] in "+-0123456789" else every for day in days)
    if rule.get("BYSETPOS"):
        factor = min(factor, float(len(rule["BYSETPOS"])))
    return factor


def candidates_per_day(component: Component) -> float | None:
    """An upper bound on how many candidates per day the RRULEs of `component` make dateutil
    walk; limiting BYxxx parts are ignored, which can only overestimate."""
    total = 0.0
    for rule in _rules(component):
        freq = _first(rule, "FREQ", "")
        if freq in _PERIOD_DAYS:
            interval = _first(rule, "INTERVAL", "1")
            every = int(interval) if interval.isdigit() and int(interval) > 0 else 1
            total += _factor(rule, freq) / (_PERIOD_DAYS[freq] * every)
    return total or None


def occurrence_key(series: Series, component: Component, floating: dt.tzinfo) -> str:
    """UID for a single event; UID plus the original start (RECURRENCE-ID) in a series.

    A moved instance keeps the RECURRENCE-ID of the slot it was moved from (RFC 5545 section
    3.8.4.4), so re-importing after a move updates the meeting instead of adding one. Exchange
    writes the RECURRENCE-ID of an all-day series as local midnight; the date alone is used then.
    """
    uid = series.uid if len(series.uid) <= 200 else "sha1:" + _sha1(series.uid)
    if not series.recurring:
        return uid
    prop = component.get("RECURRENCE-ID") or component.get("DTSTART")
    value = getattr(prop, "dt", None)
    start = getattr(series.master.get("DTSTART"), "dt", None)
    if isinstance(value, dt.date) and (
        not isinstance(value, dt.datetime) or not isinstance(start, dt.datetime)
    ):
        return f"{uid}|{value:%Y%m%d}"
    moment = to_utc(value, floating)
    return f"{uid}|{moment:%Y%m%dT%H%M%SZ}" if moment else uid


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _chunks(
    low: dt.datetime, high: dt.datetime, first: dt.timedelta
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Windows walking back from `high` to `low`, each twice as long as the one before."""
    out: list[tuple[dt.datetime, dt.datetime]] = []
    span = first
    while high > low:
        start = low if span >= high - low else high - span
        out.append((start, high))
        high, span = start, span * 2
    return out


def expand(
    series: Series,
    window: tuple[dt.datetime, dt.datetime],
    *,
    floating: dt.tzinfo = UTC,
    cap: int = MAX_OCCURRENCES,
) -> tuple[list[Occurrence], list[ImportIssue]]:
    """The latest `cap` occurrences starting in [window start, window end), cancelled ones dropped.

    Dense series are read newest-first in growing windows, so a series far longer than `cap`
    never builds more than about 2 x cap occurrences.
    """
    issues: list[ImportIssue] = []
    low, high = window
    if not series.recurring and len(series.components) == 1:
        # One plain event is its own only occurrence; recurring_ical_events would copy it.
        return _single(series, series.components[0], low, high, floating), issues
    first_span = high - low
    rate = candidates_per_day(series.master)
    if rate and high > low:
        start = to_utc(getattr(series.master.get("DTSTART"), "dt", None), floating) or low
        if (high - start).total_seconds() / 86400 * rate > MAX_CANDIDATES:
            high = max(low, start + dt.timedelta(days=MAX_CANDIDATES / rate))
            message = f"repeats too often; read only up to {high:%Y-%m-%d}"
            issues.append(ImportIssue(series.line, f"recurring event {series.summary!r} {message}"))
        first_span = min(first_span, dt.timedelta(days=min(cap / rate, 36500)))
    found: dict[str, Occurrence] = {}
    stopped_early = False
    try:
        query = recurring_ical_events.of(_calendar(series))
        for chunk_start, chunk_end in _chunks(low, high, first_span):
            for occurrence in _between(query, series, chunk_start, chunk_end, floating):
                found.setdefault(occurrence.key, occurrence)
            if len(found) >= cap:
                stopped_early = chunk_start > low
                break
    except Exception as exc:  # recurring_ical_events and dateutil raise many kinds on bad rules
        message = f"recurring event {series.summary!r} could not be expanded: {exc}"
        issues.append(ImportIssue(series.line, message))
    if len(found) > cap or stopped_early:
        message = f"recurring event {series.summary!r}: only the latest {cap} occurrences are read"
        issues.append(ImportIssue(series.line, message))
    occurrences = sorted(found.values(), key=lambda o: (o.at, o.key))
    return occurrences[-cap:], issues


def _single(
    series: Series, component: Component, low: dt.datetime, high: dt.datetime, floating: dt.tzinfo
) -> list[Occurrence]:
    at = to_utc(getattr(component.get("DTSTART"), "dt", None), floating)
    if at is None or not low <= at < high or _cancelled(component):
        return []
    return [Occurrence(component, at, occurrence_key(series, component, floating))]


def _cancelled(component: Component) -> bool:
    return str(component.get("STATUS", "")).strip().upper() == "CANCELLED"


def _calendar(series: Series) -> Calendar:
    calendar = Calendar()
    for component in series.components:
        calendar.add_component(component)
    return calendar


def _between(
    query: recurring_ical_events.CalendarQuery,
    series: Series,
    start: dt.datetime,
    end: dt.datetime,
    floating: dt.tzinfo,
) -> list[Occurrence]:
    """The occurrences that are not cancelled and start in [start, end)."""
    # recurring_ical_events reads floating and all-day values as wall-clock time in the zone of
    # the bounds: hence bounds in the floating zone, and a margin for all-day values.
    pad = min(_PAD, end - start)
    bounds = ((start - pad).astimezone(floating), (end + pad).astimezone(floating))
    out: list[Occurrence] = []
    for component in query.between(*bounds):
        at = to_utc(getattr(component.get("DTSTART"), "dt", None), floating)
        if at is not None and start <= at < end and not _cancelled(component):
            out.append(Occurrence(component, at, occurrence_key(series, component, floating)))
    return out
