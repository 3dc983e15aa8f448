"""Past/planned split and people met but not yet added (pipeline.formats.ics.parse helpers)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.formats.ics.budget import shares
from pipeline.formats.ics.parse import (
    CalendarMeeting,
    frequent_unknown_attendees,
    parse_calendar,
    split_past_future,
)
from pipeline.models import CalendarInteraction

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"
UTC = dt.UTC


def _at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2024, 5, day, hour, tzinfo=UTC)


def _meeting(day: int, *emails: str, names: tuple[tuple[str, str], ...] = ()) -> CalendarMeeting:
    return CalendarMeeting(
        at=_at(day), kind="meeting", emails=emails, attendee_count=len(emails) + 1,
        key=f"k{day}", names=names,
    )  # fmt: skip


def test_split_puts_a_meeting_starting_exactly_now_in_the_past() -> None:
    items: list[CalendarInteraction] = [_meeting(1, "a@x.org"), _meeting(2, "a@x.org")]
    items.append(_meeting(3, "a@x.org"))
    past, future = split_past_future(items, _at(2))
    assert [m.key for m in past] == ["k1", "k2"]
    assert [m.key for m in future] == ["k3"]


def test_split_reads_a_naive_now_as_utc() -> None:
    naive = dt.datetime(2024, 5, 2, 8)  # noqa: DTZ001 - the point of the test
    past, future = split_past_future([_meeting(2, "a@x.org")], naive)
    assert (past, [m.key for m in future]) == ([], ["k2"])


def test_frequent_unknown_attendees_are_ranked_by_meetings_with_their_cn() -> None:
    items: list[CalendarInteraction] = [
        _meeting(1, "ann@x.org", "bob@x.org", names=(("ann@x.org", "Ann Lee"),)),
        _meeting(2, "ann@x.org", "bob@x.org", "cy@x.org"),
        _meeting(3, "ann@x.org", names=(("ann@x.org", "Ann Lee"),)),
        _meeting(4, "cy@x.org", "Known@X.org"),
        _meeting(5, "known@x.org"),
    ]
    assert frequent_unknown_attendees(items, {"KNOWN@x.org"}) == [
        ("ann@x.org", "Ann Lee", 3),
        ("bob@x.org", None, 2),
        ("cy@x.org", None, 2),
    ]
    assert frequent_unknown_attendees(items, set(), min_meetings=3) == [("ann@x.org", "Ann Lee", 3)]


def test_frequent_unknown_attendees_take_names_for_plain_interactions() -> None:
    plain = [
        CalendarInteraction(at=_at(day), kind="meeting", emails=("di@x.org",), attendee_count=2, key=f"p{day}")
        for day in (1, 2)
    ]  # fmt: skip
    found = frequent_unknown_attendees(plain, set(), names={"di@x.org": "Di Ng"})
    assert found == [("di@x.org", "Di Ng", 2)]


def test_people_met_in_a_recurring_series_but_not_added_come_with_their_names() -> None:
    raw = (DATA / "zimbra-recurring-meeting-attendees.ics").read_bytes()
    result = parse_calendar(raw, own_emails=frozenset({"james@lightsofapollo.com"}))
    assert result.interactions is not None
    past, _ = split_past_future(result.interactions, dt.datetime(2013, 1, 1, tzinfo=UTC))
    assert frequent_unknown_attendees(past, {"jlal@mozilla.com"}) == [
        ("calmozilla1@gmail.com", "Sahaja Lal", 3),
        ("iam.revelation@gmail.com", None, 3),
    ]


def test_the_file_budget_meets_small_needs_and_splits_the_rest_evenly() -> None:
    assert shares([1, 5, 100, 100], 60) == [1, 5, 27, 27]
    assert shares([100, 1, 100], 1000) == [100, 1, 100]


def test_every_series_keeps_at_least_one_occurrence_however_small_the_budget() -> None:
    assert shares([10, 10, 10], 2) == [1, 1, 1]
    assert shares([], 10) == []
