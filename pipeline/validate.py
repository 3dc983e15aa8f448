"""The ranges of the values that reach scoring and scheduling, checked once at the edge.

Each check returns the message naming the field (None when the value is fine); the api turns it
into a 400 (or the CLI into its one line), before anything is stored. One bad value saved used to
make that user's rescoring raise every night (issue 16), so nothing out of range gets in.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import phonenumbers

CADENCE_DAYS = (1, 3650)  # a day to ten years between reconnects
EARLIEST_DAY = dt.date(1900, 1, 1)  # the oldest interaction a person can log
HORIZON_YEARS = 5  # how far ahead a planned meeting, a snooze or a follow-up may be
# Files of the tz database that are not zones of a place: "localtime" is whatever this host is set
# to (another host reads the same name differently), "posixrules" a template.
_NOT_ZONES = frozenset({"localtime", "posixrules"})


def horizon(today: dt.date) -> dt.date:
    """The last day a future date may be: today plus HORIZON_YEARS (29 February -> 28th)."""
    year = today.year + HORIZON_YEARS
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def cadence_problem(field: str, days: object) -> str | None:
    low, high = CADENCE_DAYS
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        return f"{field} must be a whole number of days between {low} and {high}"
    return None


def interaction_day_problem(field: str, day: dt.date, today: dt.date) -> str | None:
    """An interaction's day: 1900-01-01 to today + 5 years (future ones are planned meetings)."""
    last = horizon(today)
    if not EARLIEST_DAY <= day <= last:
        return f"{field} must be between {EARLIEST_DAY.isoformat()} and {last.isoformat()}"
    return None


def future_day_problem(
    field: str, day: dt.date, today: dt.date, *, after_today: bool = False
) -> str | None:
    """A snooze's or follow-up's day: today (or tomorrow) to today + 5 years."""
    first = today + dt.timedelta(days=1) if after_today else today
    last = horizon(today)
    if not first <= day <= last:
        return f"{field} must be between {first.isoformat()} and {last.isoformat()}"
    return None


def follow_up_day_problem(
    field: str, day: dt.date, logged_on: dt.date, today: dt.date
) -> str | None:
    """A follow-up's due day: from today (or, for an interaction logged after the fact, from
    the day it happened: a promise made in January was due in January) to today + 5 years."""
    first = min(logged_on, today)
    last = horizon(today)
    if not first <= day <= last:
        return f"{field} must be between {first.isoformat()} and {last.isoformat()}"
    return None


def timezone_problem(field: str, name: object) -> str | None:
    """An IANA time zone that exists here (Europe/Paris, UTC), never a path or a made-up name."""
    if isinstance(name, str) and name and name == name.strip() and name not in _NOT_ZONES:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
        else:
            return None
    return f"{field} {name!r} is not a known time zone (an IANA name such as Europe/Paris or UTC)"


def region_code(name: object) -> str | None:
    """The ISO 3166 alpha-2 code, upper-cased, when it names a region phone numbers know."""
    if not isinstance(name, str):
        return None
    code = name.strip().upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def region_problem(field: str, name: object) -> str | None:
    if region_code(name) is None:
        return f"{field} {name!r} is not a country code (ISO 3166 alpha-2, such as US, GB or DE)"
    return None
