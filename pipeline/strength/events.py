"""What scoring counts: the interaction kinds and their weights, one logged event, and the
deduplication that makes a history a set (scoring.md 2.1, 5.1). Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

# scoring.md 5.1, in message-equivalents: the ordering follows the evidence, the values are tunable.
WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "coffee": 2.0,
        "meal": 2.0,
        "meeting": 2.0,
        "call": 1.5,
        "video": 1.5,
        "message": 1.0,
        "email": 1.0,
        "intro": 1.5,
        "favour": 1.5,
        "event": 0.75,
        "group-message": 0.5,
        "connected": 1.0,
    }
)
# Co-present kinds are scaled by group size: conversations of more than four split (Dunbar).
GROUP_SCALED = frozenset({"coffee", "meal", "meeting", "event"})
# Asynchronous kinds are the ones that can go unanswered (non-responder back-off, scoring.md 2.6).
ASYNC_KINDS = frozenset({"message", "email", "group-message"})
# No credit; they only move `not_before` (scoring.md 2.8).
LIFECYCLE_KINDS = frozenset({"snooze", "skip", "done", "planned"})
KINDS = frozenset(WEIGHTS) | LIFECYCLE_KINDS
DIRECTIONS = frozenset({"in", "out", "both"})

THETA = 0.5  # due threshold: one message sustains exactly one cadence
BURST_RATIO = 0.5  # n same-kind events in a day count 1, 1.5, 1.75, ... -> 2 times the best one
DAY_CAP = 3.0  # no single day buys more than log2(6) cadences
ABSOLUTE_HALF_LIFE_DAYS = 30.0  # circle-independent strength for ranking (Firefox 147's 30 d)
BACKOFF_MAX_CADENCES = 3
BALL_IN_COURT_DAYS = 2


@dataclass(frozen=True, slots=True)
class Event:
    """One logged fact about a contact. `at` must be timezone-aware.

    `attendee_count` counts everyone present, the user included. `key` is the source's id when
    it has one; events sharing a key are one event. `until` is a snooze's end day.
    """

    at: dt.datetime
    kind: str
    attendee_count: int | None = None
    direction: str | None = None
    key: str | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise ValueError("event time must be timezone-aware")
        if self.kind not in KINDS:
            raise ValueError(f"unknown interaction kind {self.kind!r}")
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}")
        if self.attendee_count is not None and self.attendee_count < 1:
            raise ValueError("attendee_count counts the user, so it is at least 1")


def _canonical(e: Event) -> tuple[dt.datetime, str, int, str, int, str]:
    return (
        e.at.astimezone(dt.UTC),
        e.kind,
        e.attendee_count or 0,
        e.direction or "",
        e.until.toordinal() if e.until else 0,
        e.key or "",
    )


def dedup_key(e: Event) -> str:
    """The source's key, else kind + time to the second + direction + attendees (scoring.md 2.1)."""
    if e.key is not None:
        return "k:" + e.key
    second = e.at.astimezone(dt.UTC).replace(microsecond=0).isoformat()
    return f"d:{e.kind}|{second}|{e.direction}|{e.attendee_count}"


def _dedup(events: Iterable[Event]) -> list[Event]:
    """One event per dedup key, in no particular order. Among records sharing a key the one
    whose canonical form sorts first wins, so the result does not depend on input order."""
    best: dict[str, Event] = {}
    for e in events:
        k = dedup_key(e)
        held = best.get(k)
        if held is None or _canonical(e) < _canonical(held):
            best[k] = e
    return list(best.values())


def ingest(events: Iterable[Event]) -> tuple[Event, ...]:
    """Collapse duplicates and sort canonically."""
    return tuple(sorted(_dedup(events), key=_canonical))


def group_factor(attendee_count: int | None) -> float:
    """`g(n) = clamp(3 / (n - 1), 0.25, 1)`: up to four people count fully, a crowd a quarter."""
    if attendee_count is None or attendee_count <= 2:
        return 1.0
    return min(1.0, max(0.25, 3.0 / (attendee_count - 1)))


def base_weight(e: Event) -> float:
    """`w_kind * g(n)` for co-present kinds, `w_kind` otherwise; 0 for lifecycle events."""
    w = WEIGHTS.get(e.kind, 0.0)
    return w * group_factor(e.attendee_count) if e.kind in GROUP_SCALED else w
