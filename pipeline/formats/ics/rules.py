"""RRULE sanity checks: rules that dateutil would expand forever or for minutes are refused."""

from __future__ import annotations

from icalendar import vRecur

# Meetings repeat daily at most; dateutil walks sub-daily rules one second, minute or hour at a
# time up to the year 9999 whenever their filters match nothing (FREQ=SECONDLY;BYSETPOS=-232).
MEETING_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# RFC 5545 section 3.3.10: allowed magnitudes of the numeric parts (negative ones count back).
_RANGES = {
    "INTERVAL": range(1, 1_000_000),
    "COUNT": range(1, 1_000_000_000),
    "BYSECOND": range(0, 61),
    "BYMINUTE": range(0, 60),
    "BYHOUR": range(0, 24),
    "BYMONTHDAY": range(1, 32),
    "BYYEARDAY": range(1, 367),
    "BYWEEKNO": range(1, 54),
    "BYMONTH": range(1, 13),
    "BYSETPOS": range(1, 367),
}
_SIGNED = ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS")
# RFC 5545 section 3.3.10, the "N/A" cells of the BYxxx table: parts a frequency cannot take.
_NOT_WITH = {
    "BYWEEKNO": ("DAILY", "WEEKLY", "MONTHLY"),
    "BYYEARDAY": ("DAILY", "WEEKLY", "MONTHLY"),
    "BYMONTHDAY": ("WEEKLY",),
}
_DAYS_PER_PERIOD = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}


def _numbers(rule: vRecur, part: str) -> list[int] | None:
    try:
        return [int(value) for value in rule.get(part) or []]
    except (TypeError, ValueError):
        return None


def _set_size(rule: vRecur, freq: str) -> int:
    """The most candidates one period can hold, which bounds a meaningful BYSETPOS."""
    size = _DAYS_PER_PERIOD[freq]
    for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        size *= len(rule.get(part) or [1])
    return size


def rule_problem(rule: vRecur) -> str:
    """Why `rule` is refused ('' when it is fine to expand)."""
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    if freq not in MEETING_FREQUENCIES:
        return f"FREQ={freq or '(none)'} is not a meeting frequency (daily or slower)"
    for part, allowed in _RANGES.items():
        numbers = _numbers(rule, part)
        values = ",".join(str(value) for value in rule.get(part) or [])
        if numbers is None or not all(
            (abs(n) if part in _SIGNED else n) in allowed for n in numbers
        ):
            return f"{part}={values} is out of range"
    for part, frequencies in _NOT_WITH.items():
        if rule.get(part) and freq in frequencies:
            return f"{part} cannot be used with FREQ={freq}"
    days = [str(day) for day in rule.get("BYDAY") or []]
    if freq in ("DAILY", "WEEKLY") and any(day[:1] in "+-0123456789" for day in days):
        return f"BYDAY with a number cannot be used with FREQ={freq}"
    positions = _numbers(rule, "BYSETPOS") or []
    if any(abs(n) > _set_size(rule, freq) for n in positions):
        return "BYSETPOS is beyond the occurrences of one period, so nothing ever matches"
    return ""
