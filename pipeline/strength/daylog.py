"""A contact's credited days as its last full scoring found them, so that logging one more
interaction rescores it without reading its history.

S, the due date and the back-off depend on the history only through its credited local days
(scoring.md 2.2 to 2.6: each day's credit, its anchor, whether it holds only unanswered outbound
messages). A new interaction after every credited one either starts a new last day or joins the
last one, whose best credit and count per kind are kept too. The update then takes the sums
again over every day, in order, through the same code as the full scoring
(rows.standing_of_days), so it gives the very same floats (tests/pipeline/test_daylog.py holds
it equal to `standing_of_rows` over the whole history). Anything else (an interaction dated
before the last credited one, a snooze, a history the general rules score, a log of another
history, cadence or zone) is scored from the history as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.strength.circles import Cadence
from pipeline.strength.events import (
    ASYNC_KINDS,
    GROUP_SCALED,
    WEIGHTS,
    Event,
    _canonical,
    group_factor,
)
from pipeline.strength.incremental import ScoreState, is_current
from pipeline.strength.rows import (
    EPOCH,
    Days,
    Row,
    RowsStanding,
    day_credit,
    instant,
    not_before_of,
    standing_of_days,
)

_US = dt.timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class DayLog:
    """`version` and `basis` as ScoreState's: the history and the half-life, slack and zone the
    days were counted under. `last_kinds`: the last day's [best credit, count] per kind; `top`
    the latest credited event as a row; `not_before` from the lifecycle events."""

    version: str
    basis: str
    credits: tuple[float, ...]
    anchors: tuple[int, ...]  # microseconds since the epoch, as rows.Days
    outbound: tuple[bool, ...]
    last_day: dt.date | None
    last_kinds: dict[str, tuple[float, float]]
    top: tuple[dt.datetime, str, int | None, str | None, str | None, dt.date | None] | None
    credited: bool
    only_connected: bool
    not_before: dt.date | None


def log_of(got: RowsStanding, *, version: str, basis: str, tz: dt.tzinfo) -> DayLog | None:
    """The log of a full scoring (None when it took the general rules)."""
    if got.days is None or got.last_kinds is None:
        return None
    days, top = got.days, got.days.top
    return DayLog(
        version=version,
        basis=basis,
        credits=tuple(days.credits),
        anchors=tuple(days.anchors),
        outbound=tuple(days.outbound),
        # The last anchor is that day's latest credited instant: its local day is the day.
        last_day=instant(days.anchors[-1]).astimezone(tz).date() if days.anchors else None,
        last_kinds={k: (float(v[0]), float(v[1])) for k, v in got.last_kinds.items()},
        top=None
        if top is None
        else (top.at, top.kind, top.attendee_count, top.direction, top.key, top.until),
        credited=got.credited,
        only_connected=got.only_connected,
        not_before=None if got.standing is None else got.standing.not_before,
    )


def extended(
    log: DayLog | None,
    stored: ScoreState | None,
    row: Row,
    *,
    version_before: str,
    basis: str,
    now: dt.datetime,
    tz: dt.tzinfo,
    cadence: Cadence,
) -> RowsStanding | None:
    """The standing of the history `log` summarises plus `row` (a new interaction), exactly as
    `standing_of_rows` would score the whole; None when the log cannot say (see the module)."""
    if (
        log is None
        or stored is None
        or log.version != version_before
        or log.basis != basis
        or not is_current(stored, basis=basis, version=version_before, now=now)
    ):
        return None
    at, kind, attendees, direction, _, _ = row
    event = Event(*row)  # the ValueError of a malformed row, as the full scoring raises it
    top = None if log.top is None else Event(*log.top)
    days = Days(log.credits, log.anchors, log.outbound, top)
    w = WEIGHTS.get(kind)
    if w is None:
        # A lifecycle event moves not_before only; one still ahead (but a planned meeting)
        # would change settles_at, so it takes the full scoring.
        if at > now and kind != "planned":
            return None
        nb = not_before_of([row], now, tz, cadence.half_life_days)
        if log.not_before is not None and (nb is None or log.not_before > nb):
            nb = log.not_before
        st = standing_of_days(days, nb, now=now, tz=tz, cadence=cadence)
        only = log.credited and log.only_connected
        return RowsStanding(
            st, only, stored.settles_at, days, log.last_kinds, log.credited, log.only_connected
        )
    if at > now:
        return None
    day = at.astimezone(tz).date()
    same_day = log.last_day is not None and day == log.last_day
    if log.last_day is not None and day < log.last_day:
        return None
    b = w * group_factor(attendees) if kind in GROUP_SCALED else w
    unanswered = kind in ASYNC_KINDS and direction == "out"
    day_credits, anchors, outbound = list(log.credits), list(log.anchors), list(log.outbound)
    at_us = (at - EPOCH) // _US
    kinds: dict[str, list[float]]
    if same_day and day_credits:
        kinds = {k: [v[0], v[1]] for k, v in log.last_kinds.items()}
        group = kinds.get(kind)
        if group is None:
            kinds[kind] = [b, 1.0]
        else:
            if b > group[0]:
                group[0] = b
            group[1] += 1.0
        day_credits[-1] = day_credit(kinds)
        if at_us > anchors[-1]:
            anchors[-1] = at_us
        outbound[-1] = outbound[-1] and unanswered
    else:
        kinds = {kind: [b, 1.0]}
        day_credits.append(day_credit(kinds))
        anchors.append(at_us)
        outbound.append(unanswered)
    if top is None or at > top.at or (at == top.at and _canonical(event) > _canonical(top)):
        top = event
    days = Days(day_credits, anchors, outbound, top)
    st = standing_of_days(days, log.not_before, now=now, tz=tz, cadence=cadence)
    only = log.only_connected and kind == "connected"
    return RowsStanding(st, only, stored.settles_at, days, kinds, True, only)
