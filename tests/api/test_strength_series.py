"""The strength page's remembered sparkline (api/services/strength_series.py) is the pure
function's answer for exactly the events, day, zone and cadence it is asked about."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from api.services.strength_series import series
from pipeline.strength.circles import cadence_for
from pipeline.strength.scoring import Event, health_series

TZ = ZoneInfo("Europe/Berlin")
TODAY = dt.date(2026, 11, 21)


def _event(days_ago: int, n: int) -> Event:
    at = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC) - dt.timedelta(days=days_ago)
    return Event(
        at=at, kind="call", attendee_count=None, direction="out", key=f"id:{n}", until=None
    )


def test_the_remembered_series_is_the_pure_answer_and_follows_every_change_of_its_inputs():
    cadence = cadence_for(30, kin=False)
    events = [_event(d, n) for n, d in enumerate((3, 40, 90))]
    first = series(events, today=TODAY, tz=TZ, cadence=cadence)
    assert first == health_series(events, today=TODAY, tz=TZ, cadence=cadence)
    first.append(-1)  # the caller's list is its own: the remembered one is untouched
    assert series(events, today=TODAY, tz=TZ, cadence=cadence)[-1] != -1
    more = [*events, _event(0, 9)]
    assert series(more, today=TODAY, tz=TZ, cadence=cadence) == health_series(
        more, today=TODAY, tz=TZ, cadence=cadence
    )
    later = TODAY + dt.timedelta(days=5)
    assert series(events, today=later, tz=TZ, cadence=cadence) == health_series(
        events, today=later, tz=TZ, cadence=cadence
    )
    kin = cadence_for(30, kin=True)
    assert series(events, today=TODAY, tz=TZ, cadence=kin) == health_series(
        events, today=TODAY, tz=TZ, cadence=kin
    )
