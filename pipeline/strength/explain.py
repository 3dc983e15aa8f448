"""Why a contact has its score and due date: top contributions, half-life in words, a sentence."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Contribution:
    """One contact-day's share of S: its credit when it happened and what is left of it now."""

    on: dt.date
    kinds: tuple[str, ...]
    credit: float
    now: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """Plain data for the contact page, plus one human sentence.

    `fsum(c.now for c in top) + rest == score` up to float rounding: S is a sum of per-day terms
    (scoring.md 2.3), so the explanation is exact, not an approximation of the model.
    """

    top: tuple[Contribution, ...]
    rest: float
    score: float
    half_life_days: float
    half_life_words: str
    due_on: dt.date | None
    not_before: dt.date | None
    backoff_days: float
    sentence: str


def format_day(day: dt.date) -> str:
    """`12 Mar 2024`, independent of the process locale (strftime's %b is not)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _count(n: int, unit: str) -> str:
    return f"every {unit}" if n == 1 else f"every {n} {unit}s"


def half_life_in_words(days: float) -> str:
    """`every week`, `every 2 months`, `every year`, `every 10.5 days`."""
    if days <= 0 or not math.isfinite(days):
        raise ValueError("half-life must be a positive number of days")
    if days != int(days):
        return f"every {days:g} days"
    whole = int(days)
    if whole % 365 == 0:
        return _count(whole // 365, "year")
    if whole % 30 == 0:
        return _count(whole // 30, "month")
    if whole % 7 == 0:
        return _count(whole // 7, "week")
    return _count(whole, "day")


def _label(kinds: tuple[str, ...]) -> str:
    return " + ".join(k.replace("-", " ") for k in kinds)


def _describe(c: Contribution) -> str:
    return f"{_label(c.kinds)} on {format_day(c.on)} ({c.credit:.1f}, now {c.now:.1f})"


def _due_clause(due_on: dt.date | None, today: dt.date) -> str:
    if due_on is None:
        return "No interactions logged yet, so nothing is due."
    if due_on < today:
        return f"Due since {format_day(due_on)}."
    return f"Reconnect by {format_day(due_on)}."


def explain(
    contributions: Sequence[Contribution],
    *,
    score: float,
    half_life_days: float,
    due_on: dt.date | None,
    today: dt.date,
    not_before: dt.date | None = None,
    backoff_days: float = 0.0,
    top: int = 3,
) -> Explanation:
    """Pick the `top` largest current contributions (ties: the more recent day first) and say
    in words how fast contact fades and when the contact is due.
    """
    ranked = sorted(contributions, key=lambda c: (-c.now, -c.on.toordinal(), c.kinds))
    head, tail = tuple(ranked[:top]), ranked[top:]
    words = half_life_in_words(half_life_days)
    parts: list[str] = []
    if head:
        parts.append("Counting most now: " + "; ".join(_describe(c) for c in head) + ".")
        parts.append(f"Each contact loses half its weight {words}.")
    if backoff_days > 0:
        parts.append(f"Pushed back {backoff_days:g} days because recent messages went unanswered.")
    parts.append(_due_clause(due_on, today))
    if not_before is not None and not_before > today:
        parts.append(f"No reminder before {format_day(not_before)}.")
    return Explanation(
        top=head,
        rest=math.fsum(c.now for c in tail),
        score=score,
        half_life_days=half_life_days,
        half_life_words=words,
        due_on=due_on,
        not_before=not_before,
        backoff_days=backoff_days,
        sentence=" ".join(parts),
    )
