"""The feed as read by real calendar parsers: ical.js (Thunderbird) and libical (Evolution).

Both run out of process through tests/feedcheck/: `node check_icaljs.mjs FILE FROM TO` needs
`npm ci` there; `check_libical.py` needs Debian's /usr/bin/python3 with python3-gi and
gir1.2-ical-3.0. Without them these tests skip and say which parser is missing.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import icalendar
import pytest
import recurring_ical_events

from pipeline.feed.render import BirthdayItem, FeedCalendar, FollowUpItem, ReminderItem, render_feed

TESTS = Path(__file__).resolve().parents[1]
FEEDCHECK = TESTS / "feedcheck"
GOLDEN = sorted((TESTS / "data" / "feed").glob("*.ics"))
SYSTEM_PYTHON = "/usr/bin/python3"
RANGE = ("2026-01-01", "2029-12-31")

Report = dict[str, Any]


@functools.cache
def missing_icaljs() -> str | None:
    if shutil.which("node") is None:
        return "ical.js check skipped: `node` is not on PATH"
    if not (FEEDCHECK / "node_modules" / "ical.js" / "package.json").is_file():
        return "ical.js check skipped: ical.js not installed (cd tests/feedcheck && npm ci)"
    return None


@functools.cache
def missing_libical() -> str | None:
    probe = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"libical check skipped: {SYSTEM_PYTHON} not usable ({exc})"
    if done.returncode != 0:
        return (
            f"libical check skipped: ICalGLib 3.0 not importable from {SYSTEM_PYTHON} "
            "(apt-get install -y gir1.2-ical-3.0 libical3 python3-gi)"
        )
    return None


def run_icaljs(path: Path) -> Report:
    return _run(["node", str(FEEDCHECK / "check_icaljs.mjs"), str(path), *RANGE])


def run_libical(path: Path) -> Report:
    return _run([SYSTEM_PYTHON, str(FEEDCHECK / "check_libical.py"), str(path), *RANGE])


def _run(argv: list[str]) -> Report:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=FEEDCHECK)
    assert done.returncode == 0, done.stderr
    report: Report = json.loads(done.stdout)
    return report


PARSERS: dict[str, tuple[Callable[[], str | None], Callable[[Path], Report]]] = {
    "ical.js": (missing_icaljs, run_icaljs),
    "libical": (missing_libical, run_libical),
}


@pytest.fixture(params=sorted(PARSERS))
def parse(request: pytest.FixtureRequest) -> Callable[[Path], Report]:
    missing, run = PARSERS[request.param]
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    return run


def assert_parsed_cleanly(report: Report) -> None:
    assert report["errors"] == []
    # libical's RFC 5546 check wants an ORGANIZER in every METHOD:PUBLISH event; a subscribed
    # feed has no organizer to name, and clients accept it (tech.md s3). Anything else fails.
    other = [e for e in report.get("itip", []) if "ORGANIZER" not in e]
    assert other == []


UTC = dt.UTC
HOSTILE_NAME = 'Ana, María; "Nana" \\ 🎉👩‍👩‍👧 <img src=x onerror=alert(1)>'
HOSTILE_NOTE = "Line one; with, commas\r\nLine two \\ backslash\x00 — 😀 山田"


def fixture_feed() -> bytes:
    cal = FeedCalendar(
        user_key="k1", name="Kith", base_url="https://kith.example.org", alarm_hour=9
    )
    changed = dt.datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    reminders = [
        ReminderItem("reconnect-1@kith.test", 1, HOSTILE_NAME, dt.date(2026, 3, 4), 2, changed,
                     "Close", 34, "coffee", dt.date(2026, 2, 2), HOSTILE_NOTE),
        ReminderItem("reconnect-2@kith.test", 2, "山田 太郎", dt.date(2026, 3, 5), 0, changed,
                     None, 0, None, None, None),
    ]  # fmt: skip
    birthdays = [
        BirthdayItem(3, "Leap Lou", "1992-02-29", changed),
        BirthdayItem(4, "Noor", "--02-29", changed),
        BirthdayItem(5, "Yuki", "--12-24", changed),
    ]
    followups = [FollowUpItem(6, 1, "Ana", "send the article; ask, listen", dt.date(2026, 3, 6),
                              changed)]  # fmt: skip
    return render_feed(cal, reminders, birthdays, followups, today=dt.date(2026, 3, 2))


FEB_LAST = ["2026-02-28", "2027-02-28", "2028-02-29", "2029-02-28"]
EXPECTED = {
    # uid: (summary, start, occurrences within RANGE)
    "birthday-3-k1@kith": ("Birthday: Leap Lou", "1992-02-29", FEB_LAST),
    "birthday-4-k1@kith": ("Birthday: Noor", "2000-02-29", FEB_LAST),
    "birthday-5-k1@kith": (
        "Birthday: Yuki",
        "2000-12-24",
        [f"{y}-12-24" for y in range(2026, 2030)],
    ),
    "reconnect-1@kith.test": (f"Reconnect with {HOSTILE_NAME}", "2026-03-04", ["2026-03-04"]),
    "reconnect-2@kith.test": ("Reconnect with 山田 太郎", "2026-03-05", ["2026-03-05"]),
    "followup-6-k1@kith": (
        "Follow up with Ana: send the article; ask, listen",
        "2026-03-06",
        ["2026-03-06"],
    ),
}


def test_the_fixture_feed_parses_without_errors_into_the_expected_all_day_events(
    parse: Callable[[Path], Report], tmp_path: Path
) -> None:
    path = tmp_path / "kith.ics"
    path.write_bytes(fixture_feed())
    report = parse(path)
    assert_parsed_cleanly(report)
    events = {e["uid"]: e for e in report["events"]}
    assert [e["uid"] for e in report["events"]] == [
        "birthday-3-k1@kith",
        "birthday-4-k1@kith",
        "birthday-5-k1@kith",
        "reconnect-1@kith.test",
        "reconnect-2@kith.test",
        "followup-6-k1@kith",
    ]
    for uid, (summary, start, occurrences) in EXPECTED.items():
        event = events[uid]
        assert (event["summary"], event["start"], event["occurrences"]) == (
            summary,
            start,
            occurrences,
        )
        assert event["allDay"] is True
        assert event["end"] == (dt.date.fromisoformat(start) + dt.timedelta(days=1)).isoformat()
        assert event["alarms"] == [{"action": "DISPLAY", "trigger": "PT9H"}]
    assert events["reconnect-1@kith.test"]["sequence"] == 2
    assert events["reconnect-1@kith.test"]["description"] == (
        "Health 34/100 in Close.\n"
        "Last: coffee on 2026-02-02 (30 days before this reminder).\n"
        "Note: Line one; with, commas\nLine two \\ backslash — 😀 山田\n"
        "Open in Kith: https://kith.example.org/#/contacts/1"
    )
    calendar = report["calendar"]
    assert (calendar["version"], calendar["method"]) == ("2.0", "PUBLISH")
    assert (calendar["name"], calendar["xWrCalname"]) == ("Kith", "Kith")
    assert (calendar["refreshInterval"], calendar["refreshIntervalValueType"]) == (
        "PT6H",
        "duration",
    )
    assert calendar["publishedTtl"] == "PT6H"


@pytest.mark.parametrize("golden", GOLDEN, ids=[p.name for p in GOLDEN])
def test_every_golden_feed_parses_cleanly_and_agrees_with_icalendar(
    parse: Callable[[Path], Report], golden: Path
) -> None:
    report = parse(golden)
    assert_parsed_cleanly(report)
    cal = icalendar.Calendar.from_ical(golden.read_bytes())
    start, end = (dt.date.fromisoformat(d) for d in RANGE)
    expanded: dict[str, list[str]] = {}
    for occurrence in recurring_ical_events.of(cal).between(start, end + dt.timedelta(days=1)):
        expanded.setdefault(str(occurrence["UID"]), []).append(
            occurrence.decoded("DTSTART").isoformat()
        )
    expected = [
        {
            "uid": str(ev["UID"]),
            "summary": str(ev["SUMMARY"]),
            "description": str(ev["DESCRIPTION"]),
            "start": ev.decoded("DTSTART").isoformat(),
            "allDay": True,
            "occurrences": sorted(expanded.get(str(ev["UID"]), [])),
        }
        for ev in cal.walk("VEVENT")
    ]
    seen = [{key: e[key] for key in expected[0]} for e in report["events"]] if expected else []
    assert seen == expected
    assert len(report["events"]) == len(expected)


BROKEN = {
    "bad-date-value": "DTSTART;VALUE=DATE:2026XX01\r\n",
    "line-without-colon": "DTSTART;VALUE=DATE:20260101\r\nthis line has no colon\r\n",
}


@pytest.mark.parametrize("defect", sorted(BROKEN))
def test_the_checkers_report_errors_for_a_broken_feed(
    parse: Callable[[Path], Report], tmp_path: Path, defect: str
) -> None:
    # Guards the guard: a checker that printed no errors for anything would pass the tests above.
    path = tmp_path / "broken.ics"
    path.write_bytes(
        (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a\r\n"
            f"DTSTAMP:20260101T000000Z\r\n{BROKEN[defect]}SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ).encode()
    )
    assert parse(path)["errors"] != []
