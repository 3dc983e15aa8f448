"""Golden files: fixed fixtures render to tests/data/feed/*.ics byte for byte.

Regenerate after an intended change with `KITH_UPDATE_GOLDEN=1 .venv/bin/pytest
tests/pipeline/test_feed_golden.py`, then review the diff of tests/data/feed/ like code.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.feed.render import BirthdayItem, FeedCalendar, FollowUpItem, ReminderItem, render_feed

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "data" / "feed"
UPDATE = os.environ.get("KITH_UPDATE_GOLDEN") == "1"
UTC = dt.UTC
TODAY = dt.date(2026, 3, 2)
CAL = FeedCalendar(
    user_key="3f9a1c0de2b7", name="Kith", base_url="https://kith.example.org", alarm_hour=9
)


def at(day: int, hour: int = 7) -> dt.datetime:
    return dt.datetime(2026, 2, day, hour, 15, 30, tzinfo=UTC)


def mixed() -> bytes:
    """Reminders in and out of the window, every birthday shape, open follow-ups, alarms."""
    reminders = [
        ReminderItem("reconnect-101-20260110@kith.example.org", 101, "Ana Souza",
                     dt.date(2026, 3, 4), 0, at(1), "Close", 34, "coffee",
                     dt.date(2026, 1, 10), "Ask how the new job is going"),
        ReminderItem("reconnect-102-20251201@kith.example.org", 102, "Bilal Khan",
                     dt.date(2026, 2, 27), 3, at(20), "Friends", 21, "group-message",
                     dt.date(2025, 12, 1), None),
        ReminderItem("reconnect-103-20260115@kith.example.org", 103, "Chen Wei",
                     dt.date(2026, 3, 4), 1, at(2), None, 12, None, None, None),
        ReminderItem("reconnect-104-20250601@kith.example.org", 104, "Dagny Øvrebø",
                     dt.date(2026, 5, 30), 0, at(3), "Network", 38, "email",
                     dt.date(2025, 6, 1), "Met at PyCon; wants the slides"),
        # Outside [today - 7, today + 90]: never in the feed.
        ReminderItem("reconnect-105-20250101@kith.example.org", 105, "Too Late",
                     dt.date(2026, 2, 22), 0, at(4), "Close", 30, "call",
                     dt.date(2026, 1, 1), None),
        ReminderItem("reconnect-106-20260201@kith.example.org", 106, "Too Early",
                     dt.date(2026, 6, 1), 0, at(4), "Close", 30, "call",
                     dt.date(2026, 2, 1), None),
    ]  # fmt: skip
    birthdays = [
        BirthdayItem(101, "Ana Souza", "1990-05-17", at(5)),
        BirthdayItem(107, "Leap Year Lou", "1992-02-29", at(5)),
        BirthdayItem(108, "No-Year Noor", "--02-29", at(5)),
        BirthdayItem(109, "Yearless Yuki", "--12-24", at(5)),
        BirthdayItem(110, "Apple Placeholder", "1604-07-04", at(5)),
        BirthdayItem(111, "Broken Date", "--13-45", at(5)),
    ]
    followups = [
        FollowUpItem(7, 101, "Ana Souza", "send the article on remote teams",
                     dt.date(2026, 3, 6), at(10)),
        FollowUpItem(8, 102, "Bilal Khan", "intro to Dagny", dt.date(2026, 3, 1), at(11)),
        FollowUpItem(9, 103, "Chen Wei", "return the book", dt.date(2026, 1, 2), at(12)),
    ]  # fmt: skip
    return render_feed(CAL, reminders, birthdays, followups, today=TODAY)


def hostile_text() -> bytes:
    """User text that must be escaped (RFC 5545 s3.3.11), folded on UTF-8 boundaries, cleaned."""
    reminders = [
        ReminderItem("reconnect-201-20260101@kith.example.org", 201,
                     'Ana, María; "Nana" \\ 🎉👩‍👩‍👧', dt.date(2026, 3, 3), 2, at(6),
                     "Inner; family, kin", 5, "video", dt.date(2026, 2, 1),
                     "Line one; with, commas\r\nLine two\rLine three\x00\x1b end"),
        ReminderItem("reconnect-202-20260101@kith.example.org", 202,
                     "<img src=x onerror=alert(1)>", dt.date(2026, 3, 3), 0, at(6),
                     "Close", 50, "message", dt.date(2026, 2, 20),
                     "<script>alert('x')</script> & &amp; %0D%0A"),
        ReminderItem("reconnect-203-20260101@kith.example.org", 203,
                     "山田 太郎 (やまだ たろう) Ünïcödé Ελληνικά العربية", dt.date(2026, 3, 5),
                     0, at(6), "Friends", 40, "meal", dt.date(2025, 11, 30),
                     "😀" * 50),
        ReminderItem("reconnect-204-20260101@kith.example.org", 204, "   \n\t  ",
                     dt.date(2026, 3, 5), 0, at(6), None, 0, None, None,
                     "END:VEVENT\nBEGIN:VEVENT\nUID:injected"),
    ]  # fmt: skip
    followups = [
        FollowUpItem(21, 201, "Ana, María", "call back re: flat; bring keys, \\ docs",
                     dt.date(2026, 3, 3), at(7)),
    ]  # fmt: skip
    birthdays = [BirthdayItem(201, "Ana, María; 🎉", "--03-03", at(8))]
    return render_feed(CAL, reminders, birthdays, followups, today=TODAY)


def empty_no_alarm() -> bytes:
    """An account with nothing due: only the calendar's own properties; 12 h refresh hint."""
    cal = FeedCalendar(
        user_key="0000aaaa", name="Kith, family; friends", base_url="http://localhost:8000/",
        alarm_hour=None, refresh_hours=12,
    )  # fmt: skip
    return render_feed(cal, [], [], [], today=TODAY)


GOLDEN: dict[str, Callable[[], bytes]] = {
    "feed-mixed-window-birthdays-followups-alarms.ics": mixed,
    "feed-hostile-user-text-unicode-escaping.ics": hostile_text,
    "feed-empty-no-alarm-refresh-12h.ics": empty_no_alarm,
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_the_fixture_feed_renders_byte_for_byte_as_the_golden_file(name: str) -> None:
    rendered = GOLDEN[name]()
    path = GOLDEN_DIR / name
    if UPDATE:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rendered)
    assert path.exists(), f"{path} missing; run with KITH_UPDATE_GOLDEN=1 to create it"
    assert rendered == path.read_bytes(), f"{name} changed; if intended: KITH_UPDATE_GOLDEN=1"


def test_every_golden_file_has_a_fixture_that_renders_it() -> None:
    assert sorted(p.name for p in GOLDEN_DIR.glob("*.ics")) == sorted(GOLDEN)
