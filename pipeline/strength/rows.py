"""`standing` for a contact's history given as plain rows: the nightly run's first full scoring.

The same model and the same floats as `scoring.standing` (a property test holds them equal),
in one pass over tuples: building an Event and a DayCredit object per interaction was most of
the time of scoring 500,000 interactions. Rows that need the general rules (no key, or a key
seen twice, so deduplication matters) take the Event path.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.strength.circles import Cadence
from pipeline.strength.events import (
    ASYNC_KINDS,
    BACKOFF_MAX_CADENCES,
    BALL_IN_COURT_DAYS,
    BURST_RATIO,
    DAY_CAP,
    DIRECTIONS,
    GROUP_SCALED,
    KINDS,
    THETA,
    WEIGHTS,
    Event,
    _canonical,
    group_factor,
)
from pipeline.strength.scoring import health, standing
from pipeline.strength.standing import Standing, decayed

# (at, kind, attendee_count, direction, key, until): Event's fields, in Event's order.
Row = tuple[dt.datetime, str, int | None, str | None, str | None, dt.date | None]
_DAY = dt.timedelta(days=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
_DAY_US = 86_400_000_000


def instant(micros: int) -> dt.datetime:
    """The UTC instant `micros` microseconds after the epoch (Days.anchors)."""
    return EPOCH + dt.timedelta(microseconds=micros)


_KINDS = KINDS
# day_credit's terms for a kind seen n times a day, the same floats it computes each time
# (the same operations on the same values), looked up: the per-day arithmetic was a tenth of
# scoring 500,000 rows.
_UNIT = 1 - BURST_RATIO
_MASS = {float(n): 1 - BURST_RATIO**n for n in range(1, 33)}
_DIRECTIONS = frozenset({None, *DIRECTIONS})


@dataclass(frozen=True, slots=True)
class RowsStanding:
    """`standing` None without any row; `imported_only` as plan.imported_only; `settles_at`
    the earliest non-planned event after `now` (ScoreState.settles_at). `days` (None when the
    general rules were needed), `last_kinds` (the latest day's best credit and count per kind)
    and `credited`/`only_connected` are what daylog.DayLog keeps of the history."""

    standing: Standing | None
    imported_only: bool
    settles_at: dt.datetime | None
    days: Days | None = None
    last_kinds: Mapping[str, Sequence[float]] | None = None
    credited: bool = False
    only_connected: bool = True


def settles_after(events: Sequence[Event], now: dt.datetime) -> dt.datetime | None:
    return min((e.at for e in events if e.kind != "planned" and e.at > now), default=None)


def _general(
    rows: Sequence[Row], now: dt.datetime, tz: dt.tzinfo, cadence: Cadence
) -> RowsStanding:
    events = [Event(*r) for r in rows]
    credited = [e.kind for e in events if e.kind in WEIGHTS]
    only = bool(credited) and all(k == "connected" for k in credited)
    st = standing(events, now=now, tz=tz, cadence=cadence)
    return RowsStanding(st, only, settles_after(events, now))


def standing_of_rows(
    rows: Sequence[Row],
    *,
    now: dt.datetime,
    tz: dt.tzinfo,
    cadence: Cadence,
    distinct_keys: bool = False,
) -> RowsStanding:
    """`distinct_keys`: the caller knows every row has its own key (a store's rows, keyed by
    interaction id), so the check that decides whether deduplication matters is skipped: on
    500,000 rows it cost a tenth of the scoring."""
    if not rows:
        return RowsStanding(None, False, None)
    if not distinct_keys:
        keys = {r[4] for r in rows}
        if None in keys or len(keys) != len(rows):
            return _general(rows, now, tz, cadence)
    # One record per local day, [anchor, outbound only, first kind, its best, its count, the
    # other kinds' [best, count] or None]: most days hold one interaction, and one list per
    # day (not a dict and three entries) was a fifth of scoring 500,000 rows.
    by_day: dict[dt.date, list[Any]] = {}
    lifecycle: list[Row] = []
    credited, only_connected = False, True
    later: dt.datetime | None = None
    last_at: dt.datetime | None = None
    last_rows: list[Row] = []
    for row in rows:
        at, kind, attendees, direction, _, _ = row
        if (
            (at.tzinfo is not dt.UTC and at.utcoffset() is None)
            or kind not in _KINDS
            or direction not in _DIRECTIONS
            or (attendees is not None and attendees < 1)
        ):
            Event(*row)  # raises the ValueError Event gives for such a row
        ahead = at > now
        if ahead and kind != "planned" and (later is None or at < later):
            later = at
        w = WEIGHTS.get(kind)
        if w is None:
            lifecycle.append(row)
            continue
        credited = True
        if kind != "connected":
            only_connected = False
        if ahead:
            continue
        if last_at is None or at > last_at:
            last_at, last_rows = at, [row]
        elif at == last_at:
            last_rows.append(row)
        day = at.astimezone(tz).date()
        b = w * group_factor(attendees) if kind in GROUP_SCALED else w
        unanswered = kind in ASYNC_KINDS and direction == "out"
        record = by_day.get(day)
        if record is None:
            by_day[day] = [at, unanswered, kind, b, 1.0, None]
            continue
        if at > record[0]:
            record[0] = at
        if not unanswered:
            record[1] = False
        if kind == record[2]:
            if b > record[3]:
                record[3] = b
            record[4] += 1.0
            continue
        others = record[5]
        if others is None:
            record[5] = {kind: [b, 1.0]}
        elif (group := others.get(kind)) is None:
            others[kind] = [b, 1.0]
        else:
            if b > group[0]:
                group[0] = b
            group[1] += 1.0
    st, days = _finish(by_day, lifecycle, last_rows, now, tz, cadence)
    last_kinds = _kinds(by_day[max(by_day)]) if by_day else {}
    return RowsStanding(
        st, credited and only_connected, later, days, last_kinds, credited, only_connected
    )


def _kinds(record: list[Any]) -> dict[str, list[float]]:
    """A day record's [best credit, count] per kind."""
    kinds = {record[2]: [record[3], record[4]]}
    if record[5] is not None:
        kinds.update(record[5])
    return kinds


def day_credit(by_kind: dict[str, list[float]]) -> float:
    """One local day's credit from its best credit and count per kind (scoring.md 2.2)."""
    if len(by_kind) == 1:
        ((best, n),) = by_kind.values()
        return min(DAY_CAP, best * (1 - BURST_RATIO ** int(n)) / (1 - BURST_RATIO))
    groups = (
        best * (1 - BURST_RATIO ** int(n)) / (1 - BURST_RATIO)
        for _, (best, n) in sorted(by_kind.items())
    )
    return min(DAY_CAP, math.fsum(groups))


def _finish(
    by_day: dict[dt.date, list[Any]],
    lifecycle: list[Row],
    last_rows: list[Row],
    now: dt.datetime,
    tz: dt.tzinfo,
    cadence: Cadence,
) -> tuple[Standing, Days]:
    h = cadence.half_life_days
    day_credits: list[float] = []
    at_us: list[int] = []
    outs: list[bool] = []
    for day in sorted(by_day):
        record = by_day[day]
        if record[5] is None:  # day_credit's one-kind case, inline: a call per day adds up
            mass = _MASS.get(record[4])
            if mass is None:
                mass = 1 - BURST_RATIO ** int(record[4])
            credit = record[3] * mass / _UNIT
            if credit >= DAY_CAP:  # min(DAY_CAP, credit), without the call
                credit = DAY_CAP
        else:
            credit = day_credit(_kinds(record))
        day_credits.append(credit)
        at_us.append((record[0] - EPOCH) // _US)
        outs.append(record[1])
    top: Event | None = None
    if len(last_rows) == 1:
        top = Event(*last_rows[0])
    elif last_rows:
        top = max((Event(*r) for r in last_rows), key=_canonical)
    nb = not_before_of(lifecycle, now, tz, h)
    days = Days(day_credits, at_us, outs, top)
    return standing_of_days(days, nb, now=now, tz=tz, cadence=cadence), days


@dataclass(frozen=True, slots=True)
class Days:
    """A history's credited local days in day order: each day's credit, its anchor (the
    latest credited instant of that day, UTC) and whether it holds only unanswered outbound
    messages; and `top`, the latest credited event (the canonical greatest of a tie). All that
    S, the due date, the back-off and the last contact need of the history."""

    credits: Sequence[float]
    anchors: Sequence[int]  # microseconds since the epoch
    outbound: Sequence[bool]
    top: Event | None


def standing_of_days(
    days: Days,
    not_before: dt.date | None,
    *,
    now: dt.datetime,
    tz: dt.tzinfo,
    cadence: Cadence,
) -> Standing:
    """The standing from the credited days and `not_before` (the one computation of both the
    full scoring and the one-interaction update, daylog.py)."""
    h = cadence.half_life_days
    top = days.top
    day_credit, at_us, outs = days.credits, days.anchors, days.outbound
    raw_due: dt.datetime | None = None
    at_last = s = backoff = 0.0
    if day_credit:
        # In whole microseconds: (t - a) / 1 day between datetimes divides exactly these
        # integers (CPython's timedelta division), so the floats are the same, and faster.
        top_us = at_us[-1]
        at_last = math.fsum(
            [
                c * 2.0 ** (-((top_us - a) / _DAY_US) / h)
                for c, a in zip(day_credit, at_us, strict=True)
            ]
        )
        last = instant(top_us)
        s = decayed(at_last, last, now, h)
        raw_due = last + dt.timedelta(
            days=h * min(cadence.slack, max(0.0, math.log2(at_last / THETA)))
        )
        k = 0
        for out in reversed(outs):
            if not out:
                break
            k += 1
        backoff = min(k - 1, BACKOFF_MAX_CADENCES) * h if k >= 2 else 0.0
    due_at = None if raw_due is None else (raw_due + dt.timedelta(days=backoff)).astimezone(tz)
    ball_at = (
        top.at.astimezone(dt.UTC) + dt.timedelta(days=BALL_IN_COURT_DAYS)
        if top is not None and top.kind in ASYNC_KINDS and top.direction == "in"
        else None
    )
    return Standing(
        score=s,
        health=health(s),
        due_at=due_at,
        due_on=None if due_at is None else due_at.date(),
        not_before=not_before,
        last_at=None if top is None else top.at.astimezone(tz),
        last_kind=None if top is None else top.kind,
        ball_in_court=ball_at is not None and now > ball_at,
        ball_at=ball_at,
        backoff_days=backoff,
        last_score=at_last,
    )


def not_before_of(
    lifecycle: Sequence[Row], now: dt.datetime, tz: dt.tzinfo, h: float
) -> dt.date | None:
    """scoring.not_before over the lifecycle rows."""
    days: list[dt.date] = []
    for at, kind, _, _, _, until in lifecycle:
        local = at.astimezone(tz).date()
        if kind == "planned":
            days.append(local + _DAY)
        elif at > now:
            continue
        elif kind == "snooze":
            days.append(until or local + _DAY)
        elif kind == "skip":
            days.append(local + dt.timedelta(days=math.ceil(h / 2)))
        elif kind == "done":
            days.append(local + _DAY)
    return max(days, default=None)
