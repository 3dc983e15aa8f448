"""Dates as CSV exports write them become `YYYY-MM-DD` or `--MM-DD`."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.formats.csv.dates import BadDate, guess_day_first, parse_date

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.mark.parametrize(
    ("text", "day_first", "iso"),
    [
        ("1906-12-09", False, "1906-12-09"),
        ("--05-17", False, "--05-17"),
        ("--0517", False, "--05-17"),
        ("19750101", False, "1975-01-01"),
        ("2024-10-09T10:00:00Z", False, "2024-10-09"),
        ("3/22/1980", False, "1980-03-22"),
        ("3/22/1980", True, "1980-03-22"),  # 22 cannot be a month
        ("20/01/1991", False, "1991-01-20"),
        ("03/04/1990", True, "1990-04-03"),
        ("12.03.1975", False, "1975-03-12"),  # dotted dates are day first everywhere
        ("1/8/18, 6:14 PM", False, "2018-01-08"),
        ("7/10/29, 10:01 PM", False, "2029-07-10"),  # Windows' two-digit-year window 1930-2029
        ("7/10/30", False, "1930-07-10"),
        ("05 Oct 2020", False, "2020-10-05"),
        ("5-Sept-2020", False, "2020-09-05"),
        ("October 5, 2020", False, "2020-10-05"),
        ("17 May", False, "--05-17"),
        ("1604-03-04", False, "--03-04"),  # Apple's year-unknown marker
        ("2/29/2000", False, "2000-02-29"),
        ("--02-29", False, "--02-29"),
        ("", False, None),
        ("   ", False, None),
        ("0/0/00", False, None),
        ("1/1/4501", False, None),  # Outlook's "None" date
    ],
)
def test_written_dates_become_iso(text: str, day_first: bool, iso: str | None) -> None:
    assert parse_date(text, day_first=day_first) == iso


@pytest.mark.parametrize(
    "text", ["someday", "2/30/1990", "13/13/2000", "2023-02-29", "31 Foo 2020"]
)
def test_text_that_is_no_date_raises_bad_date(text: str) -> None:
    with pytest.raises(BadDate):
        parse_date(text)


def test_a_day_above_twelve_decides_the_order_before_the_region_does() -> None:
    assert guess_day_first(["01/02/2000", "25/12/1999"], region="US") is True
    assert guess_day_first(["01/02/2000", "12/25/1999"], region="DE") is False
    assert guess_day_first(["01/02/2000", "05 Oct 2020"], region="DE") is True
    assert guess_day_first(["01/02/2000"], region="us") is False
    assert guess_day_first([], region=None) is False


@given(st.dates(min_value=dt.date(1605, 1, 1), max_value=dt.date(4500, 12, 31)), st.booleans())
def test_any_date_written_numerically_in_the_file_order_reads_back(
    day: dt.date, day_first: bool
) -> None:
    first, second = (day.day, day.month) if day_first else (day.month, day.day)
    assert parse_date(f"{first}/{second}/{day.year}", day_first=day_first) == day.isoformat()


@given(st.dates(min_value=dt.date(1605, 1, 1), max_value=dt.date(4500, 12, 31)))
def test_any_iso_and_named_month_date_reads_back(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day.isoformat()
    named = f"{day.day:02d} {MONTHS[day.month - 1]} {day.year}"
    assert parse_date(named) == day.isoformat()
