"""Birthdays in the feed: yearly all-day events, expanded with recurring_ical_events."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import recurring_ical_events

from pipeline.feed.render import BirthdayItem, FeedCalendar, render_feed

UTC = dt.UTC
CAL = FeedCalendar(
    user_key="u7f3a9c", name="Kith", base_url="https://kith.example.org", alarm_hour=8
)
EDITED = dt.datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def feed_of(*birthdays: BirthdayItem, today: dt.date = dt.date(2026, 3, 2)) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(render_feed(CAL, [], birthdays, [], today=today))


def bday(contact_id: int, text: str, changed_at: dt.datetime = EDITED) -> BirthdayItem:
    return BirthdayItem(contact_id=contact_id, name=f"Person {contact_id}", birthday=text,
                        changed_at=changed_at)  # fmt: skip


def occurrences(
    cal: icalendar.Calendar, uid: str, first_year: int, last_year: int
) -> list[dt.date]:
    found = recurring_ical_events.of(cal).between(
        dt.date(first_year, 1, 1), dt.date(last_year + 1, 1, 1)
    )
    return sorted(ev.decoded("DTSTART") for ev in found if str(ev["UID"]) == uid)


def uid(contact_id: int) -> str:
    return f"birthday-{contact_id}-u7f3a9c@kith"


@pytest.mark.parametrize("text", ["1992-02-29", "--02-29"])
def test_a_feb_29_birthday_falls_on_feb_28_in_common_years_and_feb_29_in_leap_years(
    text: str,
) -> None:
    # Chosen behaviour: the last day of February (RRULE BYMONTH=2;BYMONTHDAY=-1), because a plain
    # yearly rule from Feb 29 yields nothing in common years (RFC 5545 s3.3.10).
    cal = feed_of(bday(1, text))
    assert occurrences(cal, uid(1), 2026, 2029) == [
        dt.date(2026, 2, 28),
        dt.date(2027, 2, 28),
        dt.date(2028, 2, 29),
        dt.date(2029, 2, 28),
    ]
    assert occurrences(cal, uid(1), 2100, 2100) == [dt.date(2100, 2, 28)]  # 2100 is not leap


def test_a_birthday_without_year_recurs_every_year_from_a_leap_safe_start_and_shows_no_age() -> (
    None
):
    cal = feed_of(bday(2, "--07-04"))
    (event,) = cal.walk("VEVENT")
    assert event.decoded("DTSTART") == dt.date(2000, 7, 4)
    assert event["RRULE"].to_ical() == b"FREQ=YEARLY"
    assert occurrences(cal, uid(2), 2026, 2029) == [dt.date(y, 7, 4) for y in range(2026, 2030)]
    assert str(event["SUMMARY"]) == "Birthday: Person 2"
    assert "Born" not in str(event["DESCRIPTION"])
    assert "2000" not in str(event["SUMMARY"]) + str(event["DESCRIPTION"])


def test_a_birthday_with_year_starts_on_the_birth_date_and_says_when() -> None:
    cal = feed_of(bday(3, "1990-05-17"))
    (event,) = cal.walk("VEVENT")
    assert event.decoded("DTSTART") == dt.date(1990, 5, 17)
    assert event.decoded("DTEND") == dt.date(1990, 5, 18)
    assert str(event["DESCRIPTION"]).startswith("Born 1990-05-17.\n")
    assert occurrences(cal, uid(3), 2027, 2028) == [dt.date(2027, 5, 17), dt.date(2028, 5, 17)]


def test_apples_1604_placeholder_year_counts_as_no_year() -> None:
    (event,) = feed_of(bday(4, "1604-11-03")).walk("VEVENT")
    assert event.decoded("DTSTART") == dt.date(2000, 11, 3)
    assert "Born" not in str(event["DESCRIPTION"])


@pytest.mark.parametrize("text", ["", "garbage", "--13-01", "--02-30", "2023-02-29", "1990-5-7"])
def test_an_unreadable_birthday_is_skipped_and_the_others_still_render(text: str) -> None:
    cal = feed_of(bday(5, text), bday(6, "--01-15"))
    assert [str(ev["UID"]) for ev in cal.walk("VEVENT")] == [uid(6)]


def test_birthdays_are_all_day_transparent_with_the_alarm_and_a_link() -> None:
    (event,) = feed_of(bday(7, "--01-15")).walk("VEVENT")
    assert isinstance(event.decoded("DTSTART"), dt.date)
    assert not isinstance(event.decoded("DTSTART"), dt.datetime)
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["URL"]) == "https://kith.example.org/#/contacts/7"
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == dt.timedelta(hours=8)


def test_an_edited_birthday_keeps_its_uid_and_gets_a_higher_sequence() -> None:
    (before,) = feed_of(bday(8, "--03-10")).walk("VEVENT")
    later = EDITED + dt.timedelta(minutes=1)
    (after,) = feed_of(bday(8, "--03-11", changed_at=later)).walk("VEVENT")
    assert str(before["UID"]) == str(after["UID"]) == uid(8)
    assert after["SEQUENCE"] > before["SEQUENCE"]


def test_birthdays_do_not_depend_on_today() -> None:
    items = (bday(9, "1985-08-30"), bday(10, "--02-29"))
    assert render_feed(CAL, [], items, [], today=dt.date(2026, 1, 1)) == render_feed(
        CAL, [], items, [], today=dt.date(2030, 6, 1)
    )
