"""vCard BDAY values to `YYYY-MM-DD` or year-less `--MM-DD` (RFC 6350 4.3.1, RFC 2426 3.1.5)."""

from __future__ import annotations

import datetime as dt
import re

# Date first, then anything after a `T` or space (a time part is dropped: only the day matters).
_FULL = re.compile(r"(\d{4})(?:(\d{2})(\d{2})|[-/.](\d{1,2})[-/.](\d{1,2}))(?:[T ].*)?")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})(?:[T ].*)?")
# Apple writes BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-30 for a birthday without a year; some
# Android/Outlook builds write year 0000 for the same thing.
_NO_YEAR_YEARS = frozenset({"1604", "0000"})
_OMIT_YEAR = re.compile(r"X-APPLE-OMIT-YEAR=\"?(\d{4})", re.IGNORECASE)


def _month_day(month: str, day: str) -> str | None:
    try:
        dt.date(2000, int(month), int(day))  # a leap year, so --02-29 stays valid
    except ValueError:
        return None
    return f"--{int(month):02d}-{int(day):02d}"


def parse_birthday(text: str, raw_params: str = "") -> tuple[str | None, str | None]:
    """(birthday, problem): `YYYY-MM-DD`, `--MM-DD`, or None with a reason to report."""
    value = text.strip()
    if not value:
        return None, None
    if "VALUE=TEXT" in raw_params.upper():  # RFC 6350: BDAY;VALUE=text:circa 1800
        return None, f"BDAY {value!r} is free text, not a date; ignored"
    omit = _OMIT_YEAR.search(raw_params)
    match = _FULL.fullmatch(value)
    if match:
        year = match.group(1)
        month = match.group(2) or match.group(4)
        day = match.group(3) or match.group(5)
        if year in _NO_YEAR_YEARS or (omit and omit.group(1) == year):
            birthday = _month_day(month, day)
        else:
            try:
                birthday = dt.date(int(year), int(month), int(day)).isoformat()
            except ValueError:
                birthday = None
    else:
        short = _NO_YEAR.fullmatch(value)
        birthday = _month_day(short.group(1), short.group(2)) if short else None
    if birthday is None:
        return None, f"BDAY {value!r} is not a date; ignored"
    return birthday, None
