"""The contact page's 180-day health sparkline, remembered by everything it is computed from.

`health_series` is a pure function of the events, the local day, the time zone and the cadence
(it does not read the clock), and it is most of a strength page's CPU (180 days x every day
with contact). Every argument is read from the database on each request, so a remembered
answer is never stale: a new interaction, a changed circle or a new day is a new key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

from pipeline.strength.circles import Cadence
from pipeline.strength.scoring import Event, health_series


@lru_cache(maxsize=2048)
def _series(
    events: tuple[Event, ...], today: dt.date, tz: dt.tzinfo, cadence: Cadence
) -> tuple[int, ...]:
    return tuple(health_series(events, today=today, tz=tz, cadence=cadence))


def series(
    events: Sequence[Event], *, today: dt.date, tz: dt.tzinfo, cadence: Cadence
) -> list[int]:
    return list(_series(tuple(events), today, tz, cadence))
