"""Broken calendars: issues with line numbers, never an exception (pipeline.formats.ics.parse)."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.formats.ics.lines import scan, unfold
from pipeline.formats.ics.parse import parse_calendar
from pipeline.models import UnreadableFile

DATA = Path(__file__).resolve().parents[1] / "data" / "ics"
MALFORMED = "malformed-bad-dtstart-garbage-line-unterminated-event.ics"


def test_malformed_events_become_issues_on_their_lines_and_the_rest_imports() -> None:
    result = parse_calendar((DATA / MALFORMED).read_bytes())
    lines = {issue.line: issue.message for issue in result.issues}
    assert "DTSTART" in lines[6] and "skipped" in lines[6]  # 2024XX01
    assert "this line is not a content line" in lines[13]
    assert "never closed" in lines[14]  # unterminated quoted CN
    assert lines[22].startswith("EXDATE ignored")
    assert lines[26] == "event skipped: no DTSTART"
    assert "Mars/Olympus_Mons" in lines[33]
    assert "no END:VEVENT" in lines[37]
    assert sorted(lines) == [6, 13, 14, 22, 26, 33, 37]
    assert result.interactions is not None
    assert [m.summary for m in result.interactions] == [
        "Garbage inside",
        "Broken EXDATE",
        "Broken EXDATE",
        "Broken EXDATE",  # the series is still expanded, without the unreadable EXDATE
        "Unknown zone",
        "Never ends",
        "Right after",
    ]
    unknown_zone = next(m for m in result.interactions if m.summary == "Unknown zone")
    assert unknown_zone.at == dt.datetime(2024, 1, 5, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n", b"\x00\x01\x02binary\x00", b"BEGIN:VCARD\r\nFN:Ann\r\nEND:VCARD\r\n"],
)
def test_bytes_that_are_not_icalendar_are_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableFile):
        parse_calendar(raw)


def test_a_calendar_without_events_is_empty_not_unreadable() -> None:
    result = parse_calendar(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    assert result.interactions == []
    assert result.issues == []


def test_utf16_with_bom_and_crlf_reads_like_utf8() -> None:
    raw = (DATA / "lotus-notes-6-request-folded-params.ics").read_bytes()
    utf16 = codecs.BOM_UTF16_LE + raw.replace(b"\n", b"\r\n").decode("utf-8").encode("utf-16-le")
    assert parse_calendar(utf16).interactions == parse_calendar(raw).interactions


def test_unfolding_counts_physical_lines_and_keeps_one_space_of_a_double_indent() -> None:
    text = "BEGIN:VEVENT\r\r\nATTENDEE;CN=Sahaja\n  Lal:mailto:a@b.c\rSUMMARY:x\n\tyz\nEND:VEVENT"
    assert [(line.number, line.text) for line in unfold(text)] == [
        (1, "BEGIN:VEVENT"),
        (3, "ATTENDEE;CN=Sahaja Lal:mailto:a@b.c"),
        (5, "SUMMARY:xyz"),
        (7, "END:VEVENT"),
    ]


def test_scan_repairs_an_event_cut_off_by_the_end_of_the_file() -> None:
    found = scan("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nBEGIN:VALARM\nACTION:DISPLAY")
    (event,) = found.events
    assert [line.text for line in event.lines][-2:] == ["END:VALARM", "END:VEVENT"]
    assert [issue.line for issue in found.issues] == [2]


def _fixture_lines() -> list[tuple[str, list[bytes]]]:
    return [(p.name, p.read_bytes().splitlines(keepends=True)) for p in sorted(DATA.glob("*.ics"))]


FIXTURES = _fixture_lines()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(min_value=0, max_value=len(FIXTURES) - 1),
    edits=st.lists(
        st.tuples(st.sampled_from(["drop", "repeat", "cut", "junk"]), st.integers(0, 10_000)),
        max_size=4,
    ),
)
def test_damaged_fixtures_never_raise_anything_but_unreadable(
    index: int, edits: list[tuple[str, int]]
) -> None:
    """Dropped, repeated, truncated or garbled lines anywhere: a result or UnreadableFile."""
    _, lines = FIXTURES[index]
    damaged = list(lines)
    for action, position in edits:
        if not damaged:
            break
        at = position % len(damaged)
        if action == "drop":
            del damaged[at]
        elif action == "repeat":
            damaged.insert(at, damaged[at])
        elif action == "cut":
            damaged[at] = damaged[at][: len(damaged[at]) // 2]
        else:
            damaged[at] = b';:"=,\\ \xff' + damaged[at]
    try:
        result = parse_calendar(b"".join(damaged), max_occurrences=50)
    except UnreadableFile:
        return
    assert result.format == "ics"
    assert result.interactions is not None
    assert all(item.at.tzinfo is not None for item in result.interactions)


def test_an_end_before_the_start_a_repeated_start_and_year_8020_are_issues_not_hangs() -> None:
    raw = (DATA / "damaged-end-before-start-repeated-start-year-8020.ics").read_bytes()
    result = parse_calendar(raw, max_occurrences=20)
    messages = {issue.line: issue.message for issue in result.issues}
    assert messages[7].startswith("DTEND ignored")
    assert "DTSTART appears 2 times" in messages[15]
    assert messages[21] == "event skipped: DTSTART 8020-01-06 is not in the years 1900-2199"
    assert "only the latest 20 occurrences" in messages[4]
    assert sorted(messages) == [4, 7, 15, 21]
    assert result.interactions is not None
    typo = [m for m in result.interactions if m.key.startswith("end-before-start@")]
    assert len(typo) == 20
    (twice,) = [m for m in result.interactions if m.key == "twice@kith.test"]
    assert twice.at == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)


def test_rrules_out_of_range_or_never_matching_are_dropped_but_the_first_meeting_stays() -> None:
    """INTERVAL=0 makes dateutil loop forever; a rule that matches nothing (BYMONTH=13, HOURLY
    with BYSETPOS=312) makes it search period by period up to the year 9999."""
    raw = (DATA / "rrule-out-of-range-or-never-matching.ics").read_bytes()
    result = parse_calendar(raw)
    assert [(issue.line, issue.message) for issue in result.issues] == [
        (7, "RRULE ignored: INTERVAL=0 is out of range"),
        (14, "RRULE ignored: INTERVAL=-3 is out of range"),
        (21, "RRULE ignored: BYHOUR=25 is out of range"),
        (28, "RRULE ignored: BYMONTH=13 is out of range"),
        (35, "RRULE ignored: BYYEARDAY=-400 is out of range"),
        (42, "RRULE ignored: COUNT=0 is out of range"),
        (49, "RRULE ignored: FREQ=HOURLY is not a meeting frequency (daily or slower)"),
        (56, "RRULE ignored: BYYEARDAY cannot be used with FREQ=MONTHLY"),
        (
            63,
            "RRULE ignored: BYSETPOS is beyond the occurrences of one period, so nothing ever matches",
        ),
    ]
    assert result.interactions is not None
    assert [m.at.day for m in result.interactions] == list(range(1, 10))
