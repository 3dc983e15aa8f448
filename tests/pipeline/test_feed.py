"""Properties of the rendered feed: determinism, isolation between events, window, text safety."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import replace

import icalendar
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.feed.render import (
    BirthdayItem,
    FeedCalendar,
    FollowUpItem,
    ReminderItem,
    render_feed,
)

UTC = dt.UTC
TODAY = dt.date(2026, 3, 2)
CAL = FeedCalendar(
    user_key="u7f3a9c", name="Kith", base_url="https://kith.example.org/", alarm_hour=9
)


def reminder(contact_id: int, day_offset: int, **changes: object) -> ReminderItem:
    item = ReminderItem(
        uid=f"reconnect-{contact_id}-20260101@kith.example.org",
        contact_id=contact_id,
        name=f"Person {contact_id}",
        day=TODAY + dt.timedelta(days=day_offset),
        sequence=0,
        changed_at=dt.datetime(2026, 2, 1, 6, 30, tzinfo=UTC),
        circle="Close",
        health=34,
        last_kind="coffee",
        last_on=dt.date(2026, 1, 20),
        note=None,
    )
    return replace(item, **changes)


def followup(fid: int, day_offset: int, what: str = "send the article") -> FollowUpItem:
    return FollowUpItem(
        id=fid,
        contact_id=fid,
        name=f"Person {fid}",
        what=what,
        due_on=TODAY + dt.timedelta(days=day_offset),
        changed_at=dt.datetime(2026, 2, 3, tzinfo=UTC),
    )


def birthday(contact_id: int, text: str) -> BirthdayItem:
    return BirthdayItem(
        contact_id=contact_id,
        name=f"Person {contact_id}",
        birthday=text,
        changed_at=dt.datetime(2026, 1, 5, tzinfo=UTC),
    )


REMINDERS = tuple(reminder(i, i * 3 - 5) for i in range(1, 8))
BIRTHDAYS = (birthday(20, "1990-05-17"), birthday(21, "--12-24"))
FOLLOWUPS = (followup(30, 4), followup(31, 12))


def render(
    reminders: Sequence[ReminderItem] = REMINDERS,
    birthdays: Sequence[BirthdayItem] = BIRTHDAYS,
    followups: Sequence[FollowUpItem] = FOLLOWUPS,
    *,
    cal: FeedCalendar = CAL,
    today: dt.date = TODAY,
) -> bytes:
    return render_feed(cal, reminders, birthdays, followups, today=today)


def vevents(feed: bytes) -> dict[str, bytes]:
    """Each VEVENT's exact bytes, keyed by UID (unfolded only to find the UID)."""
    blocks = re.findall(rb"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", feed, re.S)
    out: dict[str, bytes] = {}
    for block in blocks:
        unfolded = re.sub(rb"\r\n[ \t]", b"", block)
        uid = re.search(rb"\r\nUID:([^\r]*)\r\n", unfolded)
        assert uid is not None
        out[uid.group(1).decode()] = block
    return out


def parsed_events(feed: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(feed)
    return {str(ev["UID"]): ev for ev in cal.walk("VEVENT")}


def test_rendering_the_same_data_twice_gives_identical_bytes() -> None:
    assert render() == render()


def test_input_order_does_not_change_the_bytes() -> None:
    shuffled = list(REMINDERS)
    random.Random(4).shuffle(shuffled)
    assert render(reminders=shuffled, followups=FOLLOWUPS[::-1], birthdays=BIRTHDAYS[::-1]) == (
        render()
    )


def test_a_later_today_changes_nothing_while_every_event_stays_in_the_window() -> None:
    assert render(today=TODAY) == render(today=TODAY + dt.timedelta(days=1))


def test_changing_one_contacts_reminder_leaves_every_other_event_byte_identical() -> None:
    before = vevents(render())
    moved = reminder(3, 20, sequence=1, note="new note", health=12)
    changed = [moved if r.contact_id == 3 else r for r in REMINDERS]
    after = vevents(render(reminders=changed))
    assert before.keys() == after.keys()
    differing = {uid for uid in before if before[uid] != after[uid]}
    assert differing == {moved.uid}


def test_a_moved_reminder_keeps_its_uid_and_carries_the_higher_sequence() -> None:
    old = reminder(3, 4, sequence=2)
    new = reminder(3, 9, sequence=3, changed_at=dt.datetime(2026, 2, 20, tzinfo=UTC))
    before = parsed_events(render(reminders=[old]))[old.uid]
    after = parsed_events(render(reminders=[new]))[new.uid]
    assert new.uid == old.uid
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (2, 3)
    assert after.decoded("DTSTART") == TODAY + dt.timedelta(days=9)
    assert after.decoded("DTSTAMP") > before.decoded("DTSTAMP")
    assert after.decoded("LAST-MODIFIED") == dt.datetime(2026, 2, 20, tzinfo=UTC)


def test_a_reminder_that_is_done_leaves_the_feed_and_the_rest_stay_unchanged() -> None:
    before = vevents(render())
    done = REMINDERS[2]
    after = vevents(render(reminders=[r for r in REMINDERS if r is not done]))
    assert done.uid not in after
    assert after == {uid: block for uid, block in before.items() if uid != done.uid}


@pytest.mark.parametrize(
    ("offset", "present"), [(-8, False), (-7, True), (0, True), (90, True), (91, False)]
)
def test_reminders_and_followups_outside_the_window_are_left_out(
    offset: int, present: bool
) -> None:
    events = parsed_events(render(reminders=[reminder(1, offset)], followups=[followup(2, offset)]))
    assert ("reconnect-1-20260101@kith.example.org" in events) is present
    assert ("followup-2-u7f3a9c@kith" in events) is present


def test_birthdays_are_in_the_feed_whatever_today_is() -> None:
    far = render(today=dt.date(2031, 8, 1))
    assert {"birthday-20-u7f3a9c@kith", "birthday-21-u7f3a9c@kith"} <= parsed_events(far).keys()


def test_events_are_sorted_by_start_day_then_uid() -> None:
    same_day = [reminder(9, 5), reminder(8, 5), reminder(7, 1)]
    cal = icalendar.Calendar.from_ical(render(reminders=same_day, birthdays=[], followups=[]))
    keys = [(ev.decoded("DTSTART"), str(ev["UID"])) for ev in cal.walk("VEVENT")]
    assert keys == sorted(keys)
    assert [k[1].split("-")[1] for k in keys] == ["7", "8", "9"]


def test_a_reminder_is_an_all_day_transparent_event_stamped_from_its_data() -> None:
    item = reminder(4, 2, sequence=5, changed_at=dt.datetime(2001, 9, 9, 1, 46, 40, 999, UTC))
    feed = render(reminders=[item], birthdays=[], followups=[])
    block = vevents(feed)[item.uid]
    assert b"DTSTART;VALUE=DATE:20260304\r\n" in block
    assert b"DTEND;VALUE=DATE:20260305\r\n" in block
    assert b"DTSTAMP:20010909T014640Z\r\n" in block  # from changed_at, never the clock
    assert b"LAST-MODIFIED:20010909T014640Z\r\n" in block
    assert b"SEQUENCE:5\r\n" in block
    assert b"TRANSP:TRANSPARENT\r\n" in block
    assert b"URL:https://kith.example.org/#/contacts/4\r\n" in block
    assert b"SUMMARY:Reconnect with Person 4\r\n" in block


def test_the_description_says_why_with_absolute_dates_and_links_the_contact() -> None:
    item = reminder(4, 2, note="Ask about\nthe move")
    description = str(parsed_events(render(reminders=[item]))[item.uid]["DESCRIPTION"])
    assert description.split("\n") == [
        "Health 34/100 in Close.",
        "Last: coffee on 2026-01-20 (43 days before this reminder).",
        "Note: Ask about",
        "the move",
        "Open in Kith: https://kith.example.org/#/contacts/4",
    ]


def test_a_contact_never_met_and_without_circle_is_described_plainly() -> None:
    item = reminder(4, 2, circle=None, last_kind=None, last_on=None, health=0)
    description = str(parsed_events(render(reminders=[item]))[item.uid]["DESCRIPTION"])
    assert description.startswith("Health 0/100 (no circle).\nNo interaction logged yet.\n")


def test_an_alarm_rings_at_the_configured_hour_of_each_all_day_event() -> None:
    cal = icalendar.Calendar.from_ical(render())
    events = list(cal.walk("VEVENT"))
    assert events
    for event in events:
        (alarm,) = event.walk("VALARM")
        assert alarm["ACTION"] == "DISPLAY"
        assert alarm.decoded("TRIGGER") == dt.timedelta(hours=9)
        assert str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])


def test_without_an_alarm_hour_no_event_has_an_alarm() -> None:
    feed = render(cal=replace(CAL, alarm_hour=None))
    assert b"VALARM" not in feed


def test_the_calendar_carries_name_refresh_hints_and_publish_method() -> None:
    feed = render(cal=replace(CAL, refresh_hours=12))
    head = feed.split(b"BEGIN:VEVENT")[0]
    for line in [
        b"VERSION:2.0",
        b"PRODID:-//Kith//Kith reconnect feed 1.0//EN",
        b"CALSCALE:GREGORIAN",
        b"METHOD:PUBLISH",
        b"NAME:Kith",
        b"X-WR-CALNAME:Kith",
        b"REFRESH-INTERVAL;VALUE=DURATION:PT12H",
        b"X-PUBLISHED-TTL:PT12H",
    ]:
        assert line + b"\r\n" in head


def test_followups_are_all_day_events_named_after_the_promise() -> None:
    event = parsed_events(render())["followup-30-u7f3a9c@kith"]
    assert str(event["SUMMARY"]) == "Follow up with Person 30: send the article"
    assert event.decoded("DTSTART") == TODAY + dt.timedelta(days=4)


def test_when_two_reminders_share_a_uid_the_higher_sequence_wins_in_any_order() -> None:
    low, high = reminder(2, 3, sequence=1), reminder(2, 6, sequence=2)
    for pair in ([low, high], [high, low]):
        event = parsed_events(render(reminders=pair))[low.uid]
        assert event["SEQUENCE"] == 2


def test_a_naive_changed_at_is_rejected_instead_of_guessing_its_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render(reminders=[reminder(1, 0, changed_at=dt.datetime(2026, 1, 1))])  # noqa: DTZ001


@pytest.mark.parametrize("hour", [-1, 24])
def test_an_alarm_hour_outside_the_day_is_rejected(hour: int) -> None:
    with pytest.raises(ValueError, match="alarm_hour"):
        render(cal=replace(CAL, alarm_hour=hour))


HOSTILE = 'Ana, María; "Nana" \\ 🎉👩‍👩‍👧 <img src=x onerror=alert(1)>'


def test_hostile_user_text_is_escaped_and_reads_back_unchanged() -> None:
    item = reminder(5, 1, name=HOSTILE, note="a;b,c\\d\r\nnext\rline\x00\x1b\x7f\ud800end")
    feed = render(reminders=[item], birthdays=[], followups=[])
    block = vevents(feed)[item.uid]
    assert rb"Ana\, Mar" in block and rb"\; " in block  # RFC 5545 s3.3.11 escapes
    event = parsed_events(feed)[item.uid]
    assert str(event["SUMMARY"]) == f"Reconnect with {HOSTILE}"
    assert "Note: a;b,c\\d\nnext\nline\ufffdend\n" in str(event["DESCRIPTION"])


def test_every_line_is_crlf_terminated_folded_to_75_octets_and_valid_utf8() -> None:
    long_note = "Ünïcödé 😀 " * 40
    feed = render(reminders=[*REMINDERS, reminder(9, 1, name=HOSTILE * 3, note=long_note)])
    assert feed.endswith(b"\r\n")
    assert b"\n" not in feed.replace(b"\r\n", b"")
    for line in feed.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # a fold never splits a multi-byte character


def test_long_names_and_notes_are_truncated_with_an_ellipsis() -> None:
    item = reminder(5, 1, name="N" * 500, note="x" * 5000)
    event = parsed_events(render(reminders=[item]))[item.uid]
    assert str(event["SUMMARY"]) == "Reconnect with " + "N" * 63 + "…"
    assert "Note: " + "x" * 139 + "…\n" in str(event["DESCRIPTION"])


@settings(max_examples=80, deadline=None)
@given(
    name=st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs"]), min_size=0, max_size=60)
)
@example(name="\\N")  # icalendar's own escaping turns a literal backslash-N into a line break
@example(name="a\\,b\\;c\\\\N")
def test_any_printable_name_round_trips_through_icalendar(name: str) -> None:
    item = reminder(1, 0, name=name)
    event = parsed_events(render(reminders=[item], birthdays=[], followups=[]))[item.uid]
    assert str(event["SUMMARY"]) == "Reconnect with " + (" ".join(name.split()) or "(no name)")


@settings(max_examples=80, deadline=None)
@given(note=st.text(max_size=300), name=st.text(max_size=100))
def test_no_text_whatsoever_can_put_a_control_character_or_bad_fold_in_the_feed(
    note: str, name: str
) -> None:
    feed = render(reminders=[reminder(1, 0, name=name, note=note)], birthdays=[], followups=[])
    body = feed.replace(b"\r\n", b"")
    assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", body)
    assert all(len(line) <= 75 for line in feed.split(b"\r\n"))
    assert len(icalendar.Calendar.from_ical(feed).walk("VEVENT")) == 1


def realistic_feed(n: int) -> bytes:
    reminders = [
        reminder(
            i,
            i % 90,
            name=f"Firstname Lastname-Müller {i}",
            note="Met at the conference in Lisbon; wants an intro to the data team.",
            sequence=i % 4,
        )
        for i in range(n)
    ]
    birthdays = [
        birthday(i, f"19{60 + i % 40}-{i % 12 + 1:02d}-{i % 28 + 1:02d}") for i in range(n)
    ]
    followups = [followup(i, i % 60, "send the article we talked about") for i in range(n // 5)]
    return render(reminders=reminders, birthdays=birthdays, followups=followups)


def test_500_reminders_with_birthdays_and_followups_stay_well_under_one_megabyte() -> None:
    feed = realistic_feed(500)
    assert feed.count(b"BEGIN:VEVENT\r\n") == 500 + 500 + 100
    assert len(feed) < 800_000  # Google Calendar drops feeds over 1 MB (tech.md s4)


def test_500_reminders_of_maximal_emoji_text_still_fit_in_one_megabyte() -> None:
    worst = [reminder(i, i % 90, name="😀" * 300, note="😀" * 3000) for i in range(500)]
    assert len(render(reminders=worst, birthdays=[], followups=[])) < 1_000_000


CLASHING_REMINDERS = (reminder(1, 2), reminder(1, 3), reminder(1, 3, note="x"), reminder(2, 1))
CLASHING_BIRTHDAYS = (birthday(20, "--01-02"), birthday(20, "--03-04"), birthday(21, "bad"))
CLASHING_FOLLOWUPS = (followup(30, 4), followup(30, 5), followup(30, 4, "other"))


@settings(max_examples=40, deadline=None)
@given(
    st.permutations(CLASHING_REMINDERS),
    st.permutations(CLASHING_BIRTHDAYS),
    st.permutations(CLASHING_FOLLOWUPS),
)
def test_any_permutation_of_the_input_gives_the_same_bytes_even_with_duplicate_keys(
    reminders: list[ReminderItem], birthdays: list[BirthdayItem], followups: list[FollowUpItem]
) -> None:
    expected = render(CLASHING_REMINDERS, CLASHING_BIRTHDAYS, CLASHING_FOLLOWUPS)
    assert render(reminders, birthdays, followups) == expected
