"""Fuzzing every parser entry: any bytes give a ParseResult or UnreadableFile, never a crash.

Seeds are the real exports in tests/data/** and /work/shared/corpus/visible (when present),
mutated the way broken exports are broken: flipped bytes, truncation, duplicated or dropped lines,
stray quotes, semicolons, colons, backslashes, quoted-printable soft breaks and huge lines.
A guard against pathological inputs (catastrophic regexes, unbounded expansion) parses
adversarial 100 KB inputs in a child process and bounds the work each parse does (calls per
input byte, occurrences built), never its time.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import resource
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.formats.csv.parse import parse_csv
from pipeline.formats.dispatch import FORMAT_CHOICES, parse_export
from pipeline.formats.ics import expand as ics_expand
from pipeline.formats.ics.budget import MAX_TOTAL_OCCURRENCES
from pipeline.formats.ics.parse import parse_calendar
from pipeline.formats.vcard.parse import parse_vcards
from pipeline.models import (
    CalendarInteraction,
    ContactRecord,
    ImportIssue,
    ParseResult,
    UnreadableFile,
)

ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = [ROOT / "tests" / "data", Path("/work/shared/corpus/visible")]
SUFFIXES = {".vcf", ".vcard", ".csv", ".ics", ".ical"}
# This file expands two unbounded series to their cap (~1 s per parse here); its mutations
# would make the fuzz run long. Its cost is bounded by the work guard below.
SLOW_SEEDS = {"unbounded-daily-and-secondly-rrules.ics"}
FORMATS = {
    "vcard-2.1",
    "vcard-3.0",
    "vcard-4.0",
    "google-csv",
    "outlook-csv",
    "linkedin-csv",
    "thunderbird-csv",
    "ics",
}

Entry = Callable[[bytes], ParseResult]


def _export(fmt: str) -> Entry:
    return lambda raw: parse_export(raw, region="US", fmt=fmt)


ENTRIES: dict[str, Entry] = {
    **{f"parse_export[{fmt}]": _export(fmt) for fmt in FORMAT_CHOICES},
    "parse_vcards": lambda raw: parse_vcards(raw, region="US"),
    "parse_csv": lambda raw: parse_csv(raw, region="US"),
    "parse_calendar": lambda raw: parse_calendar(raw),
}


def _seeds() -> list[tuple[str, bytes]]:
    """Every export file once (by content), sorted by name so the run is reproducible."""
    found: dict[str, tuple[str, bytes]] = {}
    for folder in SEED_DIRS:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in SUFFIXES or path.name in SLOW_SEEDS:
                continue
            raw = path.read_bytes()
            found.setdefault(hashlib.sha256(raw).hexdigest(), (path.name, raw))
    return sorted(found.values())


SEEDS = _seeds()
CASES = {"random": 0, "mutated": 0, "adversarial": 0}


def _strings(result: ParseResult) -> list[str]:
    out: list[str] = []
    for c in result.contacts:
        for value in c.contract_dict().values():
            out.extend(value if isinstance(value, list) else [value] if value else [])
        if c.nickname:
            out.append(c.nickname)
    for item in result.interactions or []:
        out.extend([*item.emails, item.key, item.summary])
    out.extend(i.message for i in result.issues)
    return [s for s in out if isinstance(s, str)]


def check_parse(entry: Entry, raw: bytes) -> ParseResult | None:
    """Run one parser entry: UnreadableFile is fine, any other exception fails the test.

    A result must be usable by the rest of the app: issues point at real lines, calendar times
    are aware, and the CLI's JSON is encodable as UTF-8 (no lone surrogates).
    """
    try:
        result = entry(raw)
    except UnreadableFile as exc:
        assert str(exc), "an unreadable file says why"
        return None
    assert isinstance(result, ParseResult)
    assert result.format in FORMATS, result.format
    assert all(isinstance(c, ContactRecord) for c in result.contacts)
    for issue in result.issues:
        assert isinstance(issue, ImportIssue) and isinstance(issue.line, int)
        assert issue.line >= 1, f"an issue points at a real line: {issue}"
        assert issue.message
    if result.interactions is not None:
        assert all(isinstance(i, CalendarInteraction) for i in result.interactions)
        assert all(i.at.tzinfo is not None for i in result.interactions)
        doc = [i.contract_dict() for i in result.interactions]
    else:
        doc = [c.contract_dict() for c in result.contacts]
    json.dumps(doc, ensure_ascii=False).encode("utf-8")
    return result


# -- mutations ------------------------------------------------------------------------------

TOKENS = [
    b'"',
    b'""',
    b";",
    b";;;;",
    b":",
    b"\\",
    b"\\\\",
    b"\\n",
    b"=",
    b"=\r\n",
    b"=C3=",
    b",",
    b"\t",
    b"\r",
    b"\n",
    b"\r\n ",
    b"\r\n\t",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"BEGIN:VCARD\r\n",
    b"END:VCARD\r\n",
    b"VERSION:2.1\r\n",
    b"BEGIN:VEVENT\r\n",
    b"END:VEVENT\r\n",
    b"BEGIN:VCALENDAR\r\n",
    b"RRULE:FREQ=DAILY;COUNT=3\r\n",
    b"DTSTART:20240230T250000Z\r\n",
    b";ENCODING=QUOTED-PRINTABLE;CHARSET=x-unknown:",
    b";ENCODING=BASE64:",
    b"PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n",
    b'ATTENDEE;CN="unterminated:mailto:a@b.c\r\n',
    b"BDAY:--0229\r\n",
    b"item1.X-ABLabel:_$!<Other>!$_\r\n",
]


@st.composite
def mutated_seed(draw: st.DrawFn) -> bytes:
    """A seed file with one to four mutations applied in order."""
    _, data = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(
                ["flip", "truncate", "dup_line", "drop_line", "insert", "huge_line", "swap"]
            )
        )
        size = len(data)
        at = draw(st.integers(0, max(0, size - 1)))
        lines = data.splitlines(keepends=True) or [data]
        n = draw(st.integers(0, len(lines) - 1))
        if op == "flip" and size:
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif op == "truncate":
            data = data[:at]
        elif op == "dup_line":
            data = b"".join(lines[: n + 1] + lines[n:])
        elif op == "drop_line":
            data = b"".join(lines[:n] + lines[n + 1 :])
        elif op == "insert":
            token = draw(st.sampled_from(TOKENS)) * draw(st.sampled_from([1, 2, 50]))
            data = data[:at] + token + data[at:]
        elif op == "huge_line":
            chunk = draw(st.sampled_from([b"a", b"=", b";", b'"', b"\\", b"x,", b"=\r\n"]))
            data = data[:at] + chunk * (60_000 // len(chunk)) + data[at:]
        elif op == "swap" and len(lines) > 1:
            m = draw(st.integers(0, len(lines) - 1))
            lines[n], lines[m] = lines[m], lines[n]
            data = b"".join(lines)
    return data


def text_like() -> st.SearchStrategy[bytes]:
    """Random text built from the characters the formats care about, encoded as exports are."""
    alphabet = st.sampled_from(
        [*"abcXYZ019 @.+-_=;:,\"'\\\t\r\n/<>é€ßü\u3042", "BEGIN:", "END:", "VCARD"]
    )
    return st.builds(
        lambda parts, enc: "".join(parts).encode(enc, errors="replace"),
        st.lists(alphabet, max_size=400),
        st.sampled_from(["utf-8", "utf-16", "cp1252", "utf-8-sig"]),
    )


FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("name", sorted(ENTRIES))
@FUZZ
@given(raw=st.one_of(st.binary(max_size=2000), text_like()))
def test_random_bytes_never_raise_anything_but_unreadable_file(name: str, raw: bytes) -> None:
    CASES["random"] += 1
    check_parse(ENTRIES[name], raw)


@pytest.mark.parametrize("name", sorted(ENTRIES))
@FUZZ
@given(raw=mutated_seed())
def test_mutated_real_exports_give_a_result_with_issues_never_an_exception(
    name: str, raw: bytes
) -> None:
    CASES["mutated"] += 1
    check_parse(ENTRIES[name], raw)


def test_the_fuzzer_has_seeds_from_every_format() -> None:
    suffixes = {name.rsplit(".", 1)[-1] for name, _ in SEEDS}
    assert {"vcf", "csv", "ics"} <= suffixes
    assert len(SEEDS) >= 40, "tests/data holds the corpus copies even without /work/shared"


def test_every_seed_parses_cleanly_before_it_is_mutated() -> None:
    for _name, raw in SEEDS:
        check_parse(ENTRIES["parse_export[auto]"], raw)


NUL_BUG = (
    "BUG(pipeline/normalize.py clean_text): a NUL reaches a record; PostgreSQL text columns "
    "refuse it, so the whole file fails to import instead of one value being cleaned"
)
_PAD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Pad Person\r\nEND:VCARD\r\n" * 250
NUL_INPUTS = {
    "quoted-printable =00": b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Lee;Ann\r\n"
    b"FN;ENCODING=QUOTED-PRINTABLE:Ann=00Lee\r\nEND:VCARD\r\n",
    "raw NUL after the first 8000 bytes": _PAD
    + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\x00Lee\r\nEND:VCARD\r\n",
    "UTF-16 text with a NUL character": (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\x00Lee\r\nNOTE:" + "n" * 200 + "\r\nEND:VCARD\r\n"
    ).encode("utf-16"),
}


@pytest.mark.parametrize("how", sorted(NUL_INPUTS))
def test_a_nul_character_never_reaches_a_contact_field(how: str) -> None:
    result = check_parse(ENTRIES["parse_export[auto]"], NUL_INPUTS[how])
    assert result is not None and len(result.contacts) >= 1
    bad = [text for text in _strings(result) if "\x00" in text]
    assert bad == [], f"NUL in {bad[:3]!r}"


# -- the slowness guard ------------------------------------------------------------------

KB100 = 100_000


def _vcard(body: bytes) -> bytes:
    return b"BEGIN:VCARD\r\nVERSION:3.0\r\n" + body + b"\r\nEND:VCARD\r\n"


def _fill(unit: bytes, prefix: bytes = b"", suffix: bytes = b"") -> bytes:
    return prefix + unit * ((KB100 - len(prefix) - len(suffix)) // len(unit)) + suffix


SECONDLY = (
    b"BEGIN:VEVENT\r\nUID:s%d@x\r\nDTSTART:20200101T000000Z\r\nRRULE:FREQ=SECONDLY\r\n"
    b"ORGANIZER:mailto:m@example.com\r\nEND:VEVENT\r\n"
)
DAILY = SECONDLY.replace(b"SECONDLY", b"DAILY")


def _calendar(event: bytes) -> bytes:
    head, tail = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", b"END:VCALENDAR\r\n"
    count = (KB100 - len(head) - len(tail)) // (len(event) + 4)
    return head + b"".join(event % i for i in range(count)) + tail


ADVERSARIAL: dict[str, bytes] = {
    "commas": _fill(b","),
    "quotes": _fill(b'"'),
    "semicolons": _fill(b";;;;"),
    "qp-soft-breaks": _fill(b"=\r\n"),
    "begin-vcard-repeated": _fill(b"BEGIN:VCARD\r\n"),
    "spaces": _fill(b" "),
    "one-giant-line": _fill(b"a"),
    "backslashes": _fill(b"\\"),
    "colons": _fill(b":"),
    "newlines": _fill(b"\n"),
    "vcard-giant-fn": _vcard(_fill(b"x", b"FN:", b"")),
    "vcard-folded-forever": _vcard(_fill(b"x\r\n ", b"FN:")),
    "vcard-qp-soft-breaks": _vcard(_fill(b"=\r\n", b"NOTE;ENCODING=QUOTED-PRINTABLE:")),
    "vcard-qp-escapes": _vcard(_fill(b"=3D", b"NOTE;ENCODING=QUOTED-PRINTABLE:")),
    "vcard-semicolon-name": _vcard(_fill(b";", b"N:")),
    "vcard-backslash-note": _vcard(_fill(b"\\", b"NOTE:")),
    "vcard-escaped-commas": _vcard(_fill(b"\\,", b"CATEGORIES:")),
    "vcard-email-dots": _vcard(_fill(b"b.", b"EMAIL:a@", b"@")),
    "vcard-phone-digits": _vcard(_fill(b"1", b"TEL:+")),
    "vcard-bday-dashes": _vcard(_fill(b"-", b"BDAY:")),
    "vcard-params": _vcard(_fill(b";TYPE=x", b"TEL", b":1")),
    "vcard-many-cards": _fill(b"BEGIN:VCARD\r\nFN:a\r\nEND:VCARD\r\n"),
    "vcard-nested-begins": _fill(b"BEGIN:VCARD\r\n", b"", b"END:VCARD\r\n"),
    "vcard-base64-photo": _vcard(_fill(b"QUFB", b"PHOTO;ENCODING=b;TYPE=JPEG:")),
    "csv-one-quoted-cell": _fill(b'""', b'First Name,Last Name\r\n"', b'",x\r\n'),
    "csv-unclosed-quote": _fill(b"a\n", b'First Name,Last Name\r\n"'),
    "csv-wide-header": _fill(b"x,", b"First Name,Last Name,"),
    "csv-wide-row": _fill(b",", b"First Name,Last Name\r\nAnn,Lee"),
    "csv-many-rows": _fill(b"Ann,Lee,a@b.co\r\n", b"First Name,Last Name,E-mail 1 - Value\r\n"),
    "csv-formula-cells": _fill(b"=cmd|' /C calc'!A0,", b"First Name,Last Name\r\n"),
    "ics-events-repeated": _fill(b"BEGIN:VEVENT\r\n", b"BEGIN:VCALENDAR\r\n"),
    "ics-giant-param": _fill(b'"', b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nATTENDEE;CN="),
    "ics-folded-forever": _fill(b"x\r\n ", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:"),
    "ics-daily-series": _calendar(DAILY),
    "ics-secondly-series": _calendar(SECONDLY),
}
# The guard bounds the work a parse does, never its time (the suite must pass on any machine):
# Python-level calls (function calls and C calls, counted by a profile hook in the child; every
# parser's cost is linear in them) per input byte, and recurrence occurrences built. Measured
# on 100 KB inputs the worst linear case is ~17 calls per byte; a quadratic loop or an unbounded
# expansion is thousands. A catastrophic regex inside one C call is invisible to the count: the
# child's RLIMIT_CPU stops it (a hang stop so generous no sound parse nears it on any machine,
# not a speed limit).
CALLS_PER_BYTE = 25
# Each occurrence costs recurring_ical_events ~700 calls (component copy, dateutil); the
# file-wide budget bounds how many are built: about twice the budget at most (newest-first
# windows that double overshoot once).
CALLS_PER_OCCURRENCE = 1_000
MAX_OCCURRENCES_BUILT = 2 * MAX_TOTAL_OCCURRENCES
HANG_STOP_S = 120


def _measured_child(name: str, raw: bytes, conn: Connection) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (HANG_STOP_S, HANG_STOP_S + 1))
    work = {"calls": 0, "occurrences": 0}
    original = ics_expand.occurrence_key

    def counted_key(*args: Any, **kwargs: Any) -> str:
        work["occurrences"] += 1
        return original(*args, **kwargs)

    def profile(_frame: object, event: str, _arg: object) -> None:
        if event in ("call", "c_call"):
            work["calls"] += 1

    ics_expand.occurrence_key = counted_key  # this child's copy only: it exits after one parse
    sys.setprofile(profile)
    try:
        check_parse(ENTRIES[name], raw)
        outcome = "ok"
    except BaseException as exc:  # reported to the parent, which fails the test
        outcome = f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        sys.setprofile(None)
    conn.send((work["calls"], work["occurrences"], outcome))
    conn.close()


def measured_parse(name: str, raw: bytes) -> tuple[int, int, str]:
    """(calls made, occurrences built, outcome) of one parse in a child process."""
    ctx = multiprocessing.get_context("forkserver")
    # The fork server starts clean (no threads, unlike a pytest process that already ran the
    # API tests) and has this module loaded once, so each child is a cheap, safe fork of it.
    ctx.set_forkserver_preload([__name__])
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_measured_child, args=(name, raw, child))
    proc.start()
    child.close()
    try:
        # Waits for the child's outcome, not for a time: the child's RLIMIT_CPU ends a runaway.
        while proc.is_alive() or parent.poll():
            if parent.poll(1):
                try:
                    got: tuple[int, int, str] = parent.recv()
                    return got
                except EOFError:
                    break
        return -1, -1, f"runaway: stopped by the {HANG_STOP_S} s CPU hang stop"
    finally:
        proc.kill()
        proc.join()
        parent.close()


@pytest.mark.slow
@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
def test_adversarial_100kb_inputs_cost_work_linear_in_their_size(entry: str, case: str) -> None:
    """A guard against pathological inputs (quadratic joins, unbounded recurrence expansion,
    backtracking), not a benchmark: the parse must make at most CALLS_PER_BYTE calls per input
    byte plus CALLS_PER_OCCURRENCE per recurrence occurrence, and build at most
    MAX_OCCURRENCES_BUILT occurrences (the file-wide budget in pipeline/formats/ics/budget.py)."""
    raw = ADVERSARIAL[case]
    assert len(raw) <= KB100 + 100
    CASES["adversarial"] += 1
    calls, occurrences, outcome = measured_parse(entry, raw)
    assert outcome == "ok", f"{entry} on {case}: {outcome}"
    assert occurrences <= MAX_OCCURRENCES_BUILT, f"{entry} built {occurrences} occurrences"
    bound = CALLS_PER_BYTE * len(raw) + CALLS_PER_OCCURRENCE * occurrences
    assert calls <= bound, f"{entry} made {calls} calls on {case} ({calls / len(raw):.0f} per byte)"


def test_zz_report_how_many_fuzz_cases_ran(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this module (pytest keeps file order): the count shows in CI output."""
    with capsys.disabled():
        print(
            f"\nparser fuzz: {CASES['random']} random-bytes cases, {CASES['mutated']} "
            f"mutated-corpus cases over {len(SEEDS)} seeds, {CASES['adversarial']} adversarial "
            f"100 KB inputs, {len(ENTRIES)} parser entries"
        )
    if not sum(CASES.values()):
        pytest.skip("no fuzz case ran in this selection")
