"""What a full scoring of a contact leaves behind, so that later runs need none of its history.

A contact's due date does not depend on when it is computed (scoring.md 4, S13), and its score
after the last contact is `S(tau_last)` decayed (pipeline.strength.standing). So the nightly
run re-reads the interactions only of contacts whose history, cadence or timezone changed since
they were last scored, or that have an event the clock has just reached; everyone else is
rescored from this state and their stored derived columns, giving the very same values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.strength.circles import Cadence
from pipeline.strength.scoring import health
from pipeline.strength.standing import Standing, decayed


@dataclass(frozen=True, slots=True)
class ScoreState:
    """Stored with the contact by the run that scored it from its whole history.

    `basis` names the half-life, slack and timezone used; `version` is the store's fingerprint
    of the interactions read; `last_score` is S at the last contact; `ball_at` the instant after
    which the ball is in the user's court; `recorded_at` the latest interaction's recording
    time; `settles_at` the earliest event still after `now` then (it counts once reached).
    """

    basis: str
    version: str
    last_score: float
    ball_at: dt.datetime | None
    imported_only: bool
    recorded_at: dt.datetime | None
    settles_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Carried:
    """The scheduler's view of a contact rescored from its ScoreState."""

    due_on: dt.date | None
    not_before: dt.date | None
    ball_in_court: bool


def basis_of(cadence: Cadence, tz: dt.tzinfo) -> str:
    return f"{cadence.half_life_days!r}/{cadence.slack!r}/{tz}"


def state_after(
    standing: Standing | None,
    settles_at: dt.datetime | None,
    recorded_at: Sequence[dt.datetime],
    *,
    basis: str,
    version: str,
    imported_only: bool,
) -> ScoreState:
    return ScoreState(
        basis=basis,
        version=version,
        last_score=standing.last_score if standing else 0.0,
        ball_at=standing.ball_at if standing else None,
        imported_only=imported_only,
        recorded_at=max(recorded_at, default=None),
        settles_at=settles_at,
    )


def is_current(stored: ScoreState | None, *, basis: str, version: str, now: dt.datetime) -> bool:
    """True when `stored` still describes the contact: same interactions, cadence and zone,
    and no event reached since."""
    return (
        stored is not None
        and stored.version == version
        and stored.basis == basis
        and (stored.settles_at is None or stored.settles_at > now)
    )


def carried_score(
    stored: ScoreState, last_at: dt.datetime | None, cadence: Cadence, now: dt.datetime
) -> tuple[float, int]:
    """(score, health) at `now`, computed exactly as a full scoring computes them."""
    if last_at is None:
        return 0.0, health(0.0)
    s = decayed(stored.last_score, last_at, now, cadence.half_life_days)
    return s, health(s)
