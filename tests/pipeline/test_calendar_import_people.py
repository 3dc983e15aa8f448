"""Who counts as met at one event (pipeline.formats.ics.people.read_attendance)."""

from __future__ import annotations

import pytest
from icalendar import Event, vCalAddress

from pipeline.formats.ics.people import read_attendance

ME = frozenset({"me@example.org"})


def _event(*attendees: tuple[str, dict[str, str]], organizer: str | None = None) -> Event:
    event = Event()
    for value, params in attendees:
        address = vCalAddress(value)
        address.params.update(params)
        event.add("ATTENDEE", address)
    if organizer:
        event.add("ORGANIZER", vCalAddress(organizer))
    return event


@pytest.mark.parametrize(
    ("cn", "shown"),
    [
        ("Eigenmann, Isabel", "Isabel Eigenmann"),  # Exchange "Family, Given"
        ("'meher.t@gmail.com'", None),  # Exchange CDO: the address in single quotes
        ("iCal Chair/CoffeeBean", "iCal Chair"),  # Lotus Notes hierarchical name
        ("Smith, Jr.", "Smith, Jr."),
        ("Acme, Inc", "Acme, Inc"),
        ("  Ann   Lee ", "Ann Lee"),
    ],
)
def test_cn_values_become_display_names(cn: str, shown: str | None) -> None:
    attendance = read_attendance(_event(("mailto:x@example.com", {"CN": cn})), ME)
    assert dict(attendance.names).get("x@example.com") == shown


def test_addresses_come_from_mailto_then_email_param_then_an_address_cn() -> None:
    event = _event(
        ("MAILTO:Upper@Example.COM", {}),
        ("urn:uuid:1234", {"EMAIL": "param@example.com"}),
        ("invalid:nomail", {"CN": "cn@example.com"}),
        ("urn:uuid:5678", {"CN": "Only A Name"}),
    )
    attendance = read_attendance(event, ME)
    assert attendance.emails == ("upper@example.com", "param@example.com", "cn@example.com")
    assert attendance.count == 5  # the user, three addresses and one person without address


def test_groups_and_delegated_attendees_are_not_people_met() -> None:
    event = _event(
        ("mailto:team@example.com", {"CUTYPE": "GROUP"}),
        ("mailto:boss@example.com", {"PARTSTAT": "delegated"}),
        ("mailto:deputy@example.com", {"PARTSTAT": "ACCEPTED"}),
    )
    assert read_attendance(event, ME).emails == ("deputy@example.com",)


def test_the_organizer_comes_first_and_is_not_repeated() -> None:
    event = _event(
        ("mailto:ann@example.com", {}),
        ("mailto:bob@example.com", {"CN": "Bob B"}),
        organizer="mailto:bob@example.com",
    )
    attendance = read_attendance(event, ME)
    assert attendance.emails == ("bob@example.com", "ann@example.com")
    assert attendance.names == (("bob@example.com", "Bob B"),)
    assert attendance.count == 3


def test_the_user_declining_marks_the_whole_event() -> None:
    event = _event(("mailto:ME@example.org", {"PARTSTAT": "DECLINED"}), ("mailto:a@b.org", {}))
    attendance = read_attendance(event, ME)
    assert attendance.user_declined
    assert attendance.emails == ("a@b.org",)
