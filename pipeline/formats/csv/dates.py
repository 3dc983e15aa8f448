"""Dates as CSV exports write them, to `YYYY-MM-DD` or `--MM-DD` (year unknown)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# Regions whose Outlook/LinkedIn exports write numeric dates month first (M/D/YYYY).
MONTH_FIRST_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW"})

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ].*)?|(\d{4})(\d{2})(\d{2})")
_ISO_SLASH = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})")  # RFC 6350 section 4.3.1 "--MMDD"; Google "--MM-DD"
_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?\.?(?:[ ,t].*)?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ \-]([a-z]+)\.?(?:[ \-,]+(\d{4}))?(?:[ ,t].*)?")
_MONTH_DAY = re.compile(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?(?:[ ,t].*)?")


class BadDate(ValueError):
    """A non-empty date cell that is not a date."""


def guess_day_first(values: Iterable[str], region: str | None) -> bool:
    """Whether the file's numeric dates are D/M: a part above 12 decides, else the region does.

    Outlook writes dates in the Windows locale of the exporting machine, so one file is
    consistent and a single 20/01/1991 settles the order for every other row.
    """
    for value in values:
        match = _NUMERIC.fullmatch(value.strip())
        if match and match.group(3):
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 >= second:
                return True
            if second > 12 >= first:
                return False
    return region is not None and region.upper() not in MONTH_FIRST_REGIONS


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    if len(text) == 2:
        # Windows' default two-digit-year window is 1930-2029.
        year += 2000 if year < 30 else 1900
    return year


def _format(year: int | None, month: int, day: int) -> str | None:
    if month == 0 or day == 0 or (year is not None and year >= 4501):
        return None  # Outlook's empty markers: 0/0/00 and 1/1/4501
    if year is not None and year <= 1604:
        year = None  # 1604 and 0000 stand for "year unknown" (Apple, Google)
    try:
        dt.date(year or 2000, month, day)  # a leap year, so --02-29 is valid
    except ValueError:
        raise BadDate from None
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def parse_date(text: str | None, *, day_first: bool = False) -> str | None:
    """`YYYY-MM-DD`, `--MM-DD`, or None for an empty cell or an empty marker; BadDate otherwise.

    Times after the date (LinkedIn's `1/8/18, 6:14 PM`) are ignored. Dotted numeric dates
    (`12.03.1975`) are always day first: no month-first locale writes them.
    """
    value = (text or "").strip().lower()
    if not value or value in {"0/0/00", "00/00/0000", "0000-00-00"}:
        return None
    try:
        return _parse(value, day_first)
    except BadDate:
        raise BadDate(text) from None


def _parse(value: str, day_first: bool) -> str | None:
    if match := _NO_YEAR.fullmatch(value):
        return _format(None, int(match.group(1)), int(match.group(2)))
    if match := _ISO.fullmatch(value) or _ISO_SLASH.fullmatch(value):
        year, month, day = (int(part) for part in match.groups() if part)
        return _format(year, month, day)
    if match := _NUMERIC.fullmatch(value):
        first, second = int(match.group(1)), int(match.group(2))
        dotted = value[len(match.group(1))] == "."
        day, month = (first, second) if day_first or dotted else (second, first)
        if month > 12 >= day:
            day, month = month, day
        return _format(_year(match.group(3)), month, day)
    if (match := _DAY_MONTH.fullmatch(value)) and match.group(2) in _MONTHS:
        return _format(_year(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
    if (match := _MONTH_DAY.fullmatch(value)) and match.group(1) in _MONTHS:
        return _format(_year(match.group(3)), _MONTHS[match.group(1)], int(match.group(2)))
    raise BadDate(value)
