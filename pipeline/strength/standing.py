"""A contact's standing at `now` without its history: the score at the last contact, decayed.

`S` is a sum of exponentially decaying day credits (scoring.md 2.3), so after the last contact
it is that contact's `S(tau_last)` times `2^(-(t - tau_last) / h)` (forward decay, Cormode et
al. 2009): the nightly run keeps `S(tau_last)` per contact and needs no interaction to rescore
someone nothing happened to (the due date is fixed by S13).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_DAY = dt.timedelta(days=1)


def decayed(
    last_score: float, last_at: dt.datetime, at: dt.datetime, half_life_days: float
) -> float:
    """`S(at) = S(tau_last) * 2^(-(at - tau_last) / h)` for `at` at or after the last contact.

    Exact algebra of the sum in 2.3 when no day credit lies after `tau_last`. Every stored and
    shown score is computed this way, from the score at the last contact, so a nightly run can
    decay a stored score without re-reading the history and get the very same float (S13).
    """
    return float(last_score * 2.0 ** (-((at - last_at) / _DAY) / half_life_days))


@dataclass(frozen=True, slots=True)
class Standing:
    """What scheduling needs of a contact at `now`: the Assessment without the explanation.

    `last_score` is S at the last contact (`last_at`), under the cadence's half-life; `ball_at`
    is the instant (UTC) after which the ball is in the user's court, None when the last contact
    was not an unanswered inbound message.
    """

    score: float
    health: int
    due_at: dt.datetime | None
    due_on: dt.date | None
    not_before: dt.date | None
    last_at: dt.datetime | None
    last_kind: str | None
    ball_in_court: bool
    ball_at: dt.datetime | None
    backoff_days: float
    last_score: float
