"""How many occurrences each series may build: one file-wide budget shared out fairly."""

from __future__ import annotations

import datetime as dt
import math

from pipeline.formats.ics.expand import Series, candidates_per_day, to_utc

# Each occurrence costs recurring_ical_events a component copy (~0.1-0.3 ms), so a file full of
# endless series is bounded as a whole, not only series by series.
MAX_TOTAL_OCCURRENCES = 20_000


def _count(series: Series, name: str) -> int:
    total = 0
    for component in series.components:
        value = component.get(name)
        for prop in value if isinstance(value, list) else [value] if value is not None else []:
            total += len(getattr(prop, "dts", None) or [prop])
    return total


def estimate(series: Series, window: tuple[dt.datetime, dt.datetime], floating: dt.tzinfo) -> int:
    """An upper bound on the occurrences `series` has in `window` (COUNT and UNTIL respected)."""
    explicit = len(series.components) + _count(series, "RDATE")
    rate = candidates_per_day(series.master)
    if not rate:
        return explicit
    value = series.master.get("RRULE")
    rules = [rule for rule in (value if isinstance(value, list) else [value]) if rule]
    untils = [to_utc((rule.get("UNTIL") or [None])[0], floating) for rule in rules]
    counts = [int((rule.get("COUNT") or [0])[0]) for rule in rules]
    low, high = window
    if all(untils):
        high = min(high, max(u for u in untils if u) + dt.timedelta(days=1))
    start = to_utc(getattr(series.master.get("DTSTART"), "dt", None), floating) or low
    days = max(0.0, (high - max(low, start)).total_seconds() / 86400)
    bound = math.ceil(days * rate) + explicit
    return min(bound, sum(counts) + explicit) if all(counts) else bound


def shares(needs: list[int], budget: int = MAX_TOTAL_OCCURRENCES) -> list[int]:
    """Water-filling: small needs are met in full, the rest split what is left evenly.

    Every series keeps at least one occurrence, so no meeting series disappears entirely.
    """
    out = [0] * len(needs)
    left = budget
    order = sorted(range(len(needs)), key=lambda i: needs[i])
    for position, index in enumerate(order):
        fair = left // (len(needs) - position)
        out[index] = max(1, min(needs[index], fair))
        left -= out[index]
    return out
