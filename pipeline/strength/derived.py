"""The contact columns scoring owns and the health a contact shows (DESIGN.md section 5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.strength.scoring import Assessment
from pipeline.strength.standing import Standing


@dataclass(frozen=True, slots=True)
class Derived:
    """The contact columns that scoring owns (written by no one else)."""

    score: float
    health: int
    due_on: dt.date | None
    last_at: dt.datetime | None
    last_kind: str | None
    not_before: dt.date | None


NO_HISTORY = Derived(0.0, 0, None, None, None, None)


def shown_health(assessment: Standing | Assessment, today: dt.date) -> int:
    """DESIGN.md 5: a contact is due exactly when its health is 39 or less. The slack cap can
    make a contact due while S is still above the threshold, so a due contact shows at most 39."""
    return _shown(assessment.health, assessment.due_on, today)


def _shown(health: int, due_on: dt.date | None, today: dt.date) -> int:
    return min(health, 39) if due_on is not None and due_on <= today else health


def derived_of(assessment: Standing | None, today: dt.date) -> Derived:
    if assessment is None:
        return NO_HISTORY
    return Derived(
        score=assessment.score,
        health=shown_health(assessment, today),
        due_on=assessment.due_on,
        last_at=assessment.last_at,
        last_kind=assessment.last_kind,
        not_before=assessment.not_before,
    )
