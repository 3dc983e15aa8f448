"""The ranges every value that reaches scoring or scheduling must be in (pipeline.validate)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.validate import (
    cadence_problem,
    follow_up_day_problem,
    future_day_problem,
    horizon,
    interaction_day_problem,
    region_code,
    timezone_problem,
)


def test_five_years_ahead_of_a_leap_day_is_the_28th_of_february():
    assert horizon(dt.date(2028, 2, 29)) == dt.date(2033, 2, 28)
    assert horizon(dt.date(2026, 11, 21)) == dt.date(2031, 11, 21)


@pytest.mark.parametrize("days", [0, -3, 3651, 99999999999, True, 1.5, "30"])
def test_a_cadence_that_is_not_1_to_3650_whole_days_names_the_field(days: object):
    assert cadence_problem("cadence_override_days", days) == (
        "cadence_override_days must be a whole number of days between 1 and 3650"
    )


@pytest.mark.parametrize("days", [1, 90, 3650, None])
def test_a_cadence_of_1_to_3650_days_or_none_is_fine(days: object):
    assert cadence_problem("cadence_override_days", days) is None


def test_interactions_run_from_1900_to_five_years_ahead():
    today = dt.date(2026, 11, 21)
    assert interaction_day_problem("on", dt.date(1900, 1, 1), today) is None
    assert interaction_day_problem("on", dt.date(2031, 11, 21), today) is None
    assert interaction_day_problem("on", dt.date(1899, 12, 31), today) == (
        "on must be between 1900-01-01 and 2031-11-21"
    )
    assert interaction_day_problem("on", dt.date(2031, 11, 22), today) is not None


def test_snoozes_start_tomorrow_and_follow_ups_today():
    today = dt.date(2026, 11, 21)
    assert future_day_problem("due_on", today, today) is None
    assert future_day_problem("until", today, today, after_today=True) == (
        "until must be between 2026-11-22 and 2031-11-21"
    )
    assert future_day_problem("due_on", dt.date(2026, 11, 20), today) is not None


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"])
def test_iana_zones_are_known(name: str):
    assert timezone_problem("timezone", name) is None


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "localtime", "posixrules", "", " UTC", "../etc/passwd", None, 3]
)
def test_made_up_names_paths_and_host_settings_are_not_zones(name: object):
    assert "is not a known time zone" in str(timezone_problem("timezone", name))


def test_regions_are_iso_alpha_2_codes_upper_cased():
    assert [region_code(c) for c in ("us", "GB", " de ", "UK", "USA", "XX", "", None)] == [
        "US",
        "GB",
        "DE",
        None,
        None,
        None,
        None,
        None,
    ]


def test_a_follow_up_of_an_interaction_logged_after_the_fact_may_be_due_since_that_day():
    today, logged = dt.date(2026, 11, 21), dt.date(2026, 1, 10)
    assert follow_up_day_problem("due_on", dt.date(2026, 1, 20), logged, today) is None
    assert follow_up_day_problem("due_on", dt.date(2026, 1, 9), logged, today) == (
        "due_on must be between 2026-01-10 and 2031-11-21"
    )
    assert follow_up_day_problem("due_on", dt.date(2026, 11, 20), today, today) is not None
