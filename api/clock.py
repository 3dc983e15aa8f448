"""The clock is injected (create_app(settings, clock)) so tests and `--today` can fix time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fixed_clock(at: dt.datetime) -> Clock:
    def clock() -> dt.datetime:
        return at

    return clock
