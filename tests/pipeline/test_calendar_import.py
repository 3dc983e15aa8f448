"""Meetings read from real and constructed calendar exports (pipeline.formats.ics.parse)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.formats.dispatch import parse_export
from pipeline.formats.ics.lines import scan
from pipeline.formats.ics.parse import CalendarMeeting, parse_calendar
from pipeline.models import CalendarInteraction, ParseResult

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"
CORPUS = Path("/work/shared/corpus")
UTC = dt.UTC
ME = frozenset({"ME@example.org"})


def _parse(name: str, **kwargs: object) -> ParseResult:
    return parse_calendar((DATA / name).read_bytes(), **kwargs)  # type: ignore[arg-type]


def _meetings(name: str, **kwargs: object) -> list[CalendarInteraction]:
    result = _parse(name, **kwargs)
    assert result.interactions is not None
    return result.interactions


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# Facts copied from /work/shared/corpus/expected.json, so the tests run without the corpus.
CORPUS_FACTS = {
    "apple-ical-4.0.4-event-no-attendees.ics": ([], None, 1),
    "exchange-2010-recurring-allday-override.ics": ([], None, 2),
    "exchange-2010-reply-multi-attendee.ics": (["calendar@microsoft.com"], None, 1),
    "exchange-cdo-2004-request-quoted-cn.ics": (
        ["meher.tendjoukian@verdisoft.com", "tendjoukian@yahoo.de", "meher.t@gmail.com"],
        "meher.tendjoukian@verdisoft.com",
        1,
    ),
    "google-calendar-export-organizer-attendees.ics": (
        ["karin@audriga.com"],
        "karin@audriga.com",
        5,
    ),
    "lotus-notes-6-request-folded-params.ics": (
        ["icalchair@coffeebean.com", "icalparticipant@coffeebean.com"],
        "icalchair@coffeebean.com",
        1,
    ),
    "zimbra-recurring-meeting-attendees.ics": (
        [
            "jlal@mozilla.com",
            "calmozilla1@gmail.com",
            "james@lightsofapollo.com",
            "iam.revelation@gmail.com",
        ],
        "jlal@mozilla.com",
        3,
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS_FACTS))
def test_corpus_calendar_yields_exactly_the_people_it_records(name: str) -> None:
    people, organizer, _ = CORPUS_FACTS[name]
    result = _parse(name)
    assert result.format == "ics"
    assert result.contacts == []
    assert result.interactions is not None
    met = {email for item in result.interactions for email in item.emails}
    assert met == set(people)
    if organizer:
        assert all(item.emails[0] == organizer for item in result.interactions)
    for item in result.interactions:
        assert item.kind == "meeting"
        assert item.at.utcoffset() == dt.timedelta(0)
        assert item.attendee_count >= len(item.emails) + 1


@pytest.mark.parametrize("name", sorted(CORPUS_FACTS))
def test_corpus_calendar_has_the_recorded_number_of_vevents(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    assert len(scan(text).events) == CORPUS_FACTS[name][2]


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
def test_fixture_copies_and_facts_match_the_corpus() -> None:
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["files"]
    calendars = {name: facts for name, facts in expected.items() if facts.get("format") == "ics"}
    assert set(calendars) == set(CORPUS_FACTS)
    for name, facts in calendars.items():
        assert (DATA / name).read_bytes() == (CORPUS / "visible" / name).read_bytes()
        people, organizer, vevents = CORPUS_FACTS[name]
        assert (sorted(facts["people"]), facts["organizer"], facts["vevents"]) == (
            sorted(people),
            organizer,
            vevents,
        )
        assert facts["not_people"] == []


def test_events_without_attendees_give_no_interaction_and_no_issue() -> None:
    for name in (
        "apple-ical-4.0.4-event-no-attendees.ics",
        "exchange-2010-recurring-allday-override.ics",
    ):
        result = _parse(name)
        assert result.interactions == []
        assert result.issues == []


def test_exchange_reply_drops_the_declined_attendee_and_reorders_family_given_names() -> None:
    (meeting,) = _meetings("exchange-2010-reply-multi-attendee.ics")
    assert meeting.emails == ("calendar@microsoft.com",)
    assert meeting.at == _utc("2021-06-07T11:30:00")  # 13:30 Europe/Zurich, summer time
    assert meeting.attendee_count == 2
    assert isinstance(meeting, CalendarMeeting)
    assert meeting.names == (("calendar@microsoft.com", "Isabel Eigenmann"),)


def test_cdo_quoted_address_cns_and_a_quoted_tzid_with_a_comma_are_read() -> None:
    (meeting,) = _meetings("exchange-cdo-2004-request-quoted-cn.ics")
    assert meeting.emails == (
        "meher.tendjoukian@verdisoft.com",
        "tendjoukian@yahoo.de",
        "meher.t@gmail.com",
    )
    # 22:30 in the file's own "Pacific Time (US & Canada), Tijuana" VTIMEZONE (PDT, UTC-7).
    assert meeting.at == _utc("2004-10-12T05:30:00")
    assert isinstance(meeting, CalendarMeeting)
    # A CN that is only the address in quotes is no name.
    assert dict(meeting.names) == {"meher.tendjoukian@verdisoft.com": "Meher Tendjoukian"}


def test_google_export_treats_the_calendar_named_after_an_address_as_the_user() -> None:
    (meeting,) = _meetings("google-calendar-export-organizer-attendees.ics")
    assert meeting.emails == ("karin@audriga.com",)
    assert meeting.at == _utc("2024-12-12T13:00:00")
    assert meeting.attendee_count == 2
    assert meeting.key == "a8e5ef04-4b2e-4371-8929-049f63114667"
    assert meeting.summary == "Test appointment"


def test_lotus_parameters_folded_between_params_and_a_tzid_on_rrule_are_read() -> None:
    meetings = _meetings("lotus-notes-6-request-folded-params.ics")
    assert [m.at for m in meetings] == [_utc(f"2005-04-{day}T13:00:00") for day in range(11, 16)]
    assert len({m.key for m in meetings}) == 5
    assert all(
        m.emails == ("icalchair@coffeebean.com", "icalparticipant@coffeebean.com") for m in meetings
    )
    assert isinstance(meetings[0], CalendarMeeting)
    assert dict(meetings[0].names) == {
        "icalchair@coffeebean.com": "iCal Chair",
        "icalparticipant@coffeebean.com": "iCal Participant",
    }


def test_zimbra_series_applies_overrides_exdates_and_period_rdates() -> None:
    meetings = _meetings("zimbra-recurring-meeting-attendees.ics")
    by_key = {m.key: m for m in meetings}
    uid = "623c13c0-6c2b-45d6-a12b-c33ad61c4868"
    # The first instance was moved from 10:00 to 15:00 local; it keeps its slot's key.
    moved = by_key[f"{uid}|20121002T170000Z"]
    assert moved.at == _utc("2012-10-02T22:00:00")
    assert moved.emails == ("jlal@mozilla.com",)  # RFC 5545: an override replaces the instance
    ats = {m.at for m in meetings}
    assert _utc("2012-12-04T18:00:00") not in ats  # EXDATE
    assert _utc("2013-02-05T18:00:00") not in ats  # EXDATE
    assert _utc("2023-11-25T09:00:00") in ats  # RDATE;VALUE=PERIOD
    full = by_key[f"{uid}|20121106T180000Z"]
    assert full.attendee_count == 5
    assert isinstance(full, CalendarMeeting)
    assert ("calmozilla1@gmail.com", "Sahaja Lal") in full.names  # CN folded inside its value


def test_weekly_series_with_a_moved_instance_an_exdate_and_a_cancelled_occurrence() -> None:
    meetings = _meetings(
        "weekly-series-moved-instance-exdate-cancelled-occurrence.ics", own_emails=ME
    )
    uid = "weekly-1on1@kith.test"
    assert [(m.at, m.key, m.emails) for m in meetings] == [
        (_utc("2024-01-08T09:00:00"), f"{uid}|20240108T090000Z", ("ann@example.com",)),
        (
            _utc("2024-01-16T14:00:00"),
            f"{uid}|20240115T090000Z",
            ("ann@example.com", "bob@example.com"),
        ),
        # 01-22 is an EXDATE, 01-29 is a cancelled override.
        (_utc("2024-02-05T09:00:00"), f"{uid}|20240205T090000Z", ("ann@example.com",)),
        (_utc("2024-02-12T09:00:00"), f"{uid}|20240212T090000Z", ("ann@example.com",)),
    ]
    assert [m.attendee_count for m in meetings] == [2, 3, 2, 2]
    assert meetings[1].summary == "Weekly 1:1 (moved, Bob joins)"


def test_own_address_is_excluded_whatever_its_case() -> None:
    mine = _meetings("weekly-series-moved-instance-exdate-cancelled-occurrence.ics", own_emails=ME)
    anyone = _meetings("weekly-series-moved-instance-exdate-cancelled-occurrence.ics")
    assert all("me@example.org" not in m.emails for m in mine)
    assert all(m.emails[0] == "me@example.org" for m in anyone)  # organizer comes first


def test_declined_attendee_is_not_counted() -> None:
    team_sync = _meetings("declined-room-resource-and-own-address.ics", own_emails=ME)[0]
    assert team_sync.key == "team-sync@kith.test"
    assert "dan@example.com" not in team_sync.emails


def test_rooms_resources_and_non_participants_are_not_people() -> None:
    team_sync = _meetings("declined-room-resource-and-own-address.ics", own_emails=ME)[0]
    assert team_sync.emails == ("carol@example.com", "eve@example.com")
    assert team_sync.attendee_count == 3  # the user, Carol, tentative Eve


def test_meeting_with_only_a_room_or_one_the_user_declined_gives_no_interaction() -> None:
    keys = [m.key for m in _meetings("declined-room-resource-and-own-address.ics", own_emails=ME)]
    assert "room-only@kith.test" not in keys
    assert "i-declined@kith.test" not in keys


def test_organizer_who_declined_is_dropped_and_announced_guests_are_counted() -> None:
    meetings = _meetings("declined-room-resource-and-own-address.ics", own_emails=ME)
    (item,) = [m for m in meetings if m.key == "organizer-declined@kith.test"]
    assert item.emails == ("ivan@example.com",)
    assert item.attendee_count == 4  # the user, Ivan and his X-NUM-GUESTS=2


def test_parsing_the_same_file_twice_gives_identical_unique_keys() -> None:
    for name in sorted(p.name for p in DATA.glob("*.ics")):
        first = [(m.key, m.at) for m in _meetings(name, own_emails=ME)]
        second = [(m.key, m.at) for m in _meetings(name, own_emails=ME)]
        assert first == second, name
        assert len({key for key, _ in first}) == len(first), name


def test_unbounded_rrules_stay_bounded_and_say_so() -> None:
    result = _parse("unbounded-daily-every-5-minutes-and-secondly-rrules.ics")
    assert result.interactions is not None
    by_series: dict[str, list[CalendarInteraction]] = {}
    for item in result.interactions:
        by_series.setdefault(item.key.split("|")[0], []).append(item)
    standup = by_series["standup@kith.test"]
    assert len(standup) == 500
    # Without a window: up to one year after the latest start in the file (the 2020-10-15 lunch).
    assert standup[-1].at == _utc("2021-10-15T09:00:00")
    # 288 a day: dateutil would walk 20,000 candidates by 2020-05-09, so reading stops there.
    dense = by_series["every-5-minutes@kith.test"]
    assert len(dense) == 500
    assert dense[-1].at < _utc("2020-05-10T00:00:00")
    assert len(by_series["every-second@kith.test"]) == 1  # refused RRULE: only its DTSTART
    assert len(by_series["one-off@kith.test"]) == 1
    assert [(issue.line, issue.message.split(":")[0]) for issue in result.issues] == [
        (4, "recurring event 'Daily stand-up, forever'"),
        (17, "RRULE ignored"),
        (
            21,
            "recurring event 'Every five minutes, written the legal way' repeats too often; read only up to 2020-05-09",
        ),
        (21, "recurring event 'Every five minutes, written the legal way'"),
    ]


def test_a_file_wide_budget_is_shared_between_the_endless_series() -> None:
    result = _parse("unbounded-daily-every-5-minutes-and-secondly-rrules.ics", max_total=100)
    assert result.interactions is not None
    counts: dict[str, int] = {}
    for item in result.interactions:
        series = item.key.split("|")[0]
        counts[series] = counts.get(series, 0) + 1
    # The two single meetings need one each; the two endless series share the other 98.
    assert counts == {
        "standup@kith.test": 49,
        "every-5-minutes@kith.test": 49,
        "every-second@kith.test": 1,
        "one-off@kith.test": 1,
    }
    assert any("only the latest 49 occurrences" in issue.message for issue in result.issues)


def test_an_explicit_window_limits_the_occurrences() -> None:
    meetings = _meetings(
        "unbounded-daily-every-5-minutes-and-secondly-rrules.ics",
        window_start=dt.datetime(2021, 1, 1, tzinfo=UTC),
        window_end=dt.datetime(2021, 2, 1),  # noqa: DTZ001 - naive bounds are read as UTC
    )
    standup = [m for m in meetings if m.key.startswith("standup@")]
    assert [m.at.day for m in standup] == list(range(1, 32))
    assert not any(m.key.startswith("one-off@") for m in meetings)


def test_a_smaller_cap_keeps_the_latest_occurrences() -> None:
    meetings = _meetings("zimbra-recurring-meeting-attendees.ics", max_occurrences=3)
    assert [m.at for m in meetings] == [
        _utc("2024-09-03T17:00:00"),
        _utc("2024-10-01T17:00:00"),
        _utc("2024-11-05T18:00:00"),
    ]


def test_floating_all_day_and_tzids_without_vtimezone_are_read_in_utc_without_a_zone() -> None:
    meetings = _meetings("floating-all-day-and-windows-tzid-without-vtimezone.ics")
    assert [(m.summary, m.at) for m in meetings] == [
        ("Floating time", _utc("2024-06-10T09:00:00")),
        ("Offsite", _utc("2024-06-11T12:00:00")),  # noon of the day, as a day logged by hand
        ("Windows zone name, no VTIMEZONE", _utc("2024-06-12T07:00:00")),
        ("IANA zone, no VTIMEZONE", _utc("2024-06-13T13:00:00")),
        ("No UID at all", _utc("2024-06-14T09:00:00")),
    ]
    assert meetings[-1].key.startswith("nouid-")


def test_floating_times_follow_x_wr_timezone() -> None:
    (meeting,) = _meetings("x-wr-timezone-floating-times.ics")
    assert meeting.at == _utc("2024-06-10T16:00:00")  # 09:00 in Los Angeles, summer time
    # The file's own zone wins over the user's for its floating times.
    (meeting,) = _meetings("x-wr-timezone-floating-times.ics", zone=ZoneInfo("Asia/Tokyo"))
    assert meeting.at == _utc("2024-06-10T16:00:00")


def test_floating_times_and_all_day_days_are_the_users_own_west_of_utc() -> None:
    la = ZoneInfo("America/Los_Angeles")
    meetings = _meetings("floating-all-day-and-windows-tzid-without-vtimezone.ics", zone=la)
    at = {m.summary: m.at for m in meetings}
    # RFC 5545 section 3.3.5: floating is wall-clock time wherever the reader is.
    assert at["Floating time"] == _utc("2024-06-10T16:00:00")
    # Section 3.3.4: a DATE is the user's own calendar day (midnight UTC is the 10th in LA).
    assert at["Offsite"].astimezone(la).date() == dt.date(2024, 6, 11)
    assert at["IANA zone, no VTIMEZONE"] == _utc("2024-06-13T13:00:00")  # its TZID still holds
    assert at["No UID at all"] == _utc("2024-06-14T09:00:00")  # and UTC stays UTC


def test_method_cancel_gives_no_meetings() -> None:
    assert _meetings("method-cancel-cancelled-meeting.ics") == []


def test_the_importer_dispatches_ics_and_passes_own_addresses() -> None:
    raw = (DATA / "declined-room-resource-and-own-address.ics").read_bytes()
    result = parse_export(raw, own_emails=frozenset({"me@example.org"}))
    assert result.format == "ics"
    assert result.interactions is not None
    assert [m.key for m in result.interactions] == [
        "team-sync@kith.test",
        "organizer-declined@kith.test",
    ]


def test_contract_dict_of_a_meeting_is_the_cli_shape() -> None:
    (meeting,) = _meetings("google-calendar-export-organizer-attendees.ics")
    assert meeting.contract_dict() == {
        "at": "2024-12-12T13:00:00+00:00",
        "kind": "meeting",
        "emails": ["karin@audriga.com"],
        "attendee_count": 2,
        "key": "a8e5ef04-4b2e-4371-8929-049f63114667",
    }
