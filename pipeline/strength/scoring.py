"""Relationship strength: day credits, the decaying score S(t), health and the due date.

The model (scoring.md 2): `S(t) = sum over contact-days d of c_d * 2^(-(t - tau_d) / h)`.
Exponential decay with the half-life `h` equal to the circle's cadence gives the exact "loses half
its weight every month" explanation and a closed-form due date (Firefox 147 frecency stores the
same "day the score decays to a threshold"). Day credits are burst-compressed because contact-days
predict tie strength better than raw counts (Urena-Carrion et al. 2020). Pure: `now` and the
user's timezone are parameters, and day boundaries are local days in that timezone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.strength.circles import Cadence
from pipeline.strength.events import (
    ABSOLUTE_HALF_LIFE_DAYS,
    ASYNC_KINDS,
    BACKOFF_MAX_CADENCES,
    BALL_IN_COURT_DAYS,
    BURST_RATIO,
    DAY_CAP,
    DIRECTIONS,
    GROUP_SCALED,
    KINDS,
    LIFECYCLE_KINDS,
    THETA,
    WEIGHTS,
    Event,
    _canonical,
    _dedup,
    base_weight,
    dedup_key,
    group_factor,
    ingest,
)
from pipeline.strength.explain import Contribution, Explanation, explain
from pipeline.strength.standing import Standing, decayed

# The names of events.py are re-exported: they were defined here first.
__all__ = [
    "ABSOLUTE_HALF_LIFE_DAYS",
    "ASYNC_KINDS",
    "BACKOFF_MAX_CADENCES",
    "BALL_IN_COURT_DAYS",
    "BURST_RATIO",
    "DAY_CAP",
    "DIRECTIONS",
    "GROUP_SCALED",
    "KINDS",
    "LIFECYCLE_KINDS",
    "THETA",
    "WEIGHTS",
    "Assessment",
    "DayCredit",
    "Event",
    "Standing",
    "assess",
    "backoff_days",
    "base_weight",
    "day_credits",
    "decayed",
    "dedup_key",
    "group_factor",
    "health",
    "health_series",
    "ingest",
    "not_before",
    "score",
    "standing",
    "strength",
    "threshold_due_at",
]

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DayCredit:
    """The burst-compressed credit `c_d` of one local day, anchored at its latest contact."""

    on: dt.date
    anchor: dt.datetime
    credit: float
    kinds: tuple[str, ...]
    outbound_async_only: bool


@dataclass(frozen=True, slots=True)
class Assessment:
    """Where a contact stands at `now`.

    `score` is S(now); `health` is 0-99; `due_at`/`due_on` (local) include the non-responder
    back-off and are None without any interaction; `not_before` comes from snooze, skip, done and
    planned events; `absolute_score` uses a fixed 30-day half-life for cross-circle ranking.
    """

    score: float
    health: int
    due_at: dt.datetime | None
    due_on: dt.date | None
    not_before: dt.date | None
    last_at: dt.datetime | None
    last_kind: str | None
    ball_in_court: bool
    backoff_days: float
    absolute_score: float
    explanation: Explanation


def _credits(events: Sequence[Event], now: dt.datetime, tz: dt.tzinfo) -> tuple[DayCredit, ...]:
    # One pass, keeping per (day, kind) only what the formula uses: the best weight and the count.
    # The nightly run does this for every interaction of a book, so it avoids per-event lists.
    kinds_of: dict[dt.date, dict[str, list[float]]] = {}
    anchors: dict[dt.date, dt.datetime] = {}
    outbound_only: dict[dt.date, bool] = {}
    for e in events:
        kind = e.kind
        w = WEIGHTS.get(kind)
        if w is None or e.at > now:  # as-of semantics: E(t) = {e : t_e <= t}
            continue
        at = e.at
        day = at.astimezone(tz).date()
        b = w * group_factor(e.attendee_count) if kind in GROUP_SCALED else w
        unanswered = kind in ASYNC_KINDS and e.direction == "out"
        by_kind = kinds_of.get(day)
        if by_kind is None:
            kinds_of[day] = {kind: [b, 1.0]}
            anchors[day] = at
            outbound_only[day] = unanswered
            continue
        group = by_kind.get(kind)
        if group is None:
            by_kind[kind] = [b, 1.0]
        else:
            if b > group[0]:
                group[0] = b
            group[1] += 1.0
        if at > anchors[day]:
            anchors[day] = at
        if not unanswered:
            outbound_only[day] = False
    result = []
    for day in sorted(kinds_of):
        by_kind = kinds_of[day]
        if len(by_kind) == 1:  # most days: fsum of one term is that term, exactly
            ((kind, (best, n)),) = by_kind.items()
            credit = min(DAY_CAP, best * (1 - BURST_RATIO ** int(n)) / (1 - BURST_RATIO))
            kinds: tuple[str, ...] = (kind,)
        else:
            groups = (
                best * (1 - BURST_RATIO ** int(n)) / (1 - BURST_RATIO)
                for _, (best, n) in sorted(by_kind.items())
            )
            credit = min(DAY_CAP, math.fsum(groups))
            kinds = tuple(sorted(by_kind))
        anchor = anchors[day].astimezone(dt.UTC)
        result.append(DayCredit(day, anchor, credit, kinds, outbound_only[day]))
    return tuple(result)


def day_credits(
    events: Iterable[Event], *, now: dt.datetime, tz: dt.tzinfo
) -> tuple[DayCredit, ...]:
    """Credits per local day from the events at or before `now`, oldest first (scoring.md 2.2):
    per (day, kind) `max(b) * (1 - rho^n) / (1 - rho)`, summed over kinds, capped at `DAY_CAP`.
    """
    return _credits(ingest(events), now, tz)


def _terms(
    contact_days: Sequence[DayCredit], at: dt.datetime, half_life_days: float
) -> list[float]:
    return [
        c.credit * 2.0 ** (-((at - c.anchor) / _DAY) / half_life_days) if c.anchor <= at else 0.0
        for c in contact_days
    ]


def strength(contact_days: Sequence[DayCredit], at: dt.datetime, half_life_days: float) -> float:
    """`S(at)`. `math.fsum` is exactly rounded, so S is bitwise independent of event order."""
    return math.fsum(_terms(contact_days, at, half_life_days))


def score(
    events: Iterable[Event], *, at: dt.datetime, tz: dt.tzinfo, half_life_days: float
) -> float:
    """S(at) straight from events."""
    return strength(day_credits(events, now=at, tz=tz), at, half_life_days)


def health(score: float) -> int:
    """`floor(100 * (1 - e^(-S / 2 theta)))`, 0-99 (scoring.md 2.5).

    The band edge stays exact, due exactly when health <= 39: a contact above the threshold never
    shows 39, which plain flooring would do for S just above theta.
    """
    value = min(99, math.floor(100.0 * (1.0 - math.exp(-score / (2.0 * THETA)))))
    return max(value, 40) if score > THETA else min(value, 39)


def threshold_due_at(contact_days: Sequence[DayCredit], cadence: Cadence) -> dt.datetime | None:
    """`t* = tau_last + h * clamp(log2(S(tau_last) / theta), 0, M)`, before back-off.

    Evaluated at the last contact, so it does not depend on when it is computed (scoring.md 3.1);
    the cap M keeps years of history from buying unlimited silence, and the floor at 0 keeps a
    weak last contact from dating the reminder before the contact itself.
    """
    if not contact_days:
        return None
    last = contact_days[-1].anchor
    s = strength(contact_days, last, cadence.half_life_days)
    cadences = min(cadence.slack, max(0.0, math.log2(s / THETA)))
    return last + dt.timedelta(days=cadence.half_life_days * cadences)


def backoff_days(contact_days: Sequence[DayCredit], cadence: Cadence) -> float:
    """`min(k - 1, 3) * h` once the last k >= 2 contact-days were unanswered outbound messages,
    so the app stops asking the user to chase someone who does not reply (scoring.md 2.6).
    """
    k = 0
    for c in reversed(contact_days):
        if not c.outbound_async_only:
            break
        k += 1
    return min(k - 1, BACKOFF_MAX_CADENCES) * cadence.half_life_days if k >= 2 else 0.0


def not_before(
    events: Iterable[Event], *, now: dt.datetime, tz: dt.tzinfo, cadence: Cadence
) -> dt.date | None:
    """Earliest reminder day from lifecycle events (scoring.md 2.8): snooze until its day, skip
    for half a cadence, done until tomorrow, a planned meeting until the day after it.
    """
    days: list[dt.date] = []
    for e in events:
        if e.kind not in LIFECYCLE_KINDS:
            continue
        local = e.at.astimezone(tz).date()
        if e.kind == "planned":
            days.append(local + _DAY)
        elif e.at > now:
            continue
        elif e.kind == "snooze":
            days.append(e.until or local + _DAY)
        elif e.kind == "skip":
            days.append(local + dt.timedelta(days=math.ceil(cadence.half_life_days / 2)))
        elif e.kind == "done":
            days.append(local + _DAY)
    return max(days, default=None)


def _last_contact(events: Sequence[Event], now: dt.datetime) -> Event | None:
    credited = [e for e in events if e.kind in WEIGHTS and e.at <= now]
    if not credited:
        return None
    # The canonical order starts with the instant: only the latest events need comparing.
    top = max(e.at for e in credited)
    return max((e for e in credited if e.at == top), key=_canonical)


def _standing(
    log: Sequence[Event],
    contact_days: Sequence[DayCredit],
    now: dt.datetime,
    tz: dt.tzinfo,
    cadence: Cadence,
) -> Standing:
    h = cadence.half_life_days
    if contact_days:
        last_anchor = contact_days[-1].anchor
        at_last = strength(contact_days, last_anchor, h)
        s = decayed(at_last, last_anchor, now, h)
        cadences = min(cadence.slack, max(0.0, math.log2(at_last / THETA)))
        raw_due: dt.datetime | None = last_anchor + dt.timedelta(days=h * cadences)
    else:
        at_last, s, raw_due = 0.0, 0.0, None
    backoff = backoff_days(contact_days, cadence)
    due_at = None if raw_due is None else (raw_due + dt.timedelta(days=backoff)).astimezone(tz)
    last = _last_contact(log, now)
    ball_at = (
        last.at.astimezone(dt.UTC) + dt.timedelta(days=BALL_IN_COURT_DAYS)
        if last is not None and last.kind in ASYNC_KINDS and last.direction == "in"
        else None
    )
    return Standing(
        score=s,
        health=health(s),
        due_at=due_at,
        due_on=None if due_at is None else due_at.date(),
        not_before=not_before(log, now=now, tz=tz, cadence=cadence),
        last_at=None if last is None else last.at.astimezone(tz),
        last_kind=None if last is None else last.kind,
        ball_in_court=ball_at is not None and now > ball_at,
        ball_at=ball_at,
        backoff_days=backoff,
        last_score=at_last,
    )


def standing(
    events: Iterable[Event], *, now: dt.datetime, tz: dt.tzinfo, cadence: Cadence
) -> Standing:
    """`assess` without the explanation and the absolute score: what the nightly plan needs.
    Every reduction below is order-independent, so the log is deduplicated but not sorted."""
    log = _dedup(events)
    return _standing(log, _credits(log, now, tz), now, tz, cadence)


def assess(
    events: Iterable[Event], *, now: dt.datetime, tz: dt.tzinfo, cadence: Cadence
) -> Assessment:
    """Score, health, due date and explanation of one contact at `now` (aware)."""
    log = ingest(events)
    contact_days = _credits(log, now, tz)
    h = cadence.half_life_days
    st = _standing(log, contact_days, now, tz, cadence)
    terms = _terms(contact_days, now, h)
    contributions = [
        Contribution(c.on, c.kinds, c.credit, term)
        for c, term in zip(contact_days, terms, strict=True)
    ]
    explanation = explain(
        contributions,
        score=st.score,
        half_life_days=h,
        due_on=st.due_on,
        today=now.astimezone(tz).date(),
        not_before=st.not_before,
        backoff_days=st.backoff_days,
    )
    return Assessment(
        score=st.score,
        health=st.health,
        due_at=st.due_at,
        due_on=st.due_on,
        not_before=st.not_before,
        last_at=st.last_at,
        last_kind=st.last_kind,
        ball_in_court=st.ball_in_court,
        backoff_days=st.backoff_days,
        absolute_score=strength(contact_days, now, ABSOLUTE_HALF_LIFE_DAYS),
        explanation=explanation,
    )


def health_series(
    events: Iterable[Event], *, today: dt.date, tz: dt.tzinfo, cadence: Cadence, days: int = 180
) -> list[int]:
    """Daily health for a sparkline, oldest first, ending with `today`: each value is the
    health at the end of that local day (its following midnight), counting that day's contacts.
    """
    end_of_today = dt.datetime.combine(today + _DAY, dt.time(), tzinfo=tz)
    contact_days = _credits(ingest(events), end_of_today - dt.timedelta(microseconds=1), tz)
    series = []
    for offset in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=offset)
        midnight = dt.datetime.combine(day + _DAY, dt.time(), tzinfo=tz)
        upto = [c for c in contact_days if c.on <= day]
        series.append(health(strength(upto, midnight, cadence.half_life_days)))
    return series
