"""One entry point for every export: detect the format, then hand the bytes to its parser."""

from __future__ import annotations

import datetime as dt
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.formats.decode import decode_head
from pipeline.models import ContactRecord, ParseResult, UnreadableFile
from pipeline.normalize import RECORD_CONTROLS, strip_record_controls

FORMAT_CHOICES = (
    "auto",
    "vcard",
    "google-csv",
    "outlook-csv",
    "linkedin-csv",
    "thunderbird-csv",
    "ics",
)

# END too: a file whose BEGIN line was lost is still a vCard (its cards can be recovered).
_VCARD = re.compile(r"^\s*(?:BEGIN|END)\s*:\s*VCARD", re.IGNORECASE | re.MULTILINE)
_VCAL = re.compile(r"^\s*BEGIN\s*:\s*VCALENDAR", re.IGNORECASE | re.MULTILINE)


def detect_kind(raw: bytes) -> str:
    """'vcard', 'ics' or 'csv' from the content (never from the file name alone)."""
    head = decode_head(raw, 200_000)
    if _VCAL.search(head):
        return "ics"
    if _VCARD.search(head):
        return "vcard"
    if "," in head or ";" in head or "\t" in head:
        return "csv"
    raise UnreadableFile("not a vCard, CSV or iCalendar export")


def parse_export(
    raw: bytes,
    *,
    region: str | None = None,
    fmt: str = "auto",
    own_emails: frozenset[str] = frozenset(),
    calendar_window: tuple[dt.datetime, dt.datetime] | None = None,
    zone: dt.tzinfo = dt.UTC,
) -> ParseResult:
    """Parse one exported file. Raises UnreadableFile when nothing at all can be read.

    `calendar_window` bounds recurring-event expansion (the caller knows "now"; pipeline does not);
    `zone` is the user's time zone, where a calendar's floating times and all-day days happen.
    """
    if fmt not in FORMAT_CHOICES:
        raise UnreadableFile(f"unknown format {fmt!r}")
    with no_gc_pauses():
        return _parse(raw, region, fmt, own_emails, calendar_window, zone)


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """A parse allocates millions of small objects that all live until it returns, and no
    cycles: the cyclic collector, triggered by allocation counts, would walk the growing heap
    again and again for nothing (a tenth of a 50,000-card parse). It runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            _promote_survivors()
            gc.enable()


def _promote_survivors() -> None:
    """Move everything allocated while the collector was off into the oldest generation.

    With collection off the youngest generation's count only grows, so the first allocation
    after `gc.enable()` would run a young collection over every object the parse kept (the
    records and their lists: ~7% of a 50,000-card parse) only to promote them all. freeze then
    unfreeze does the promotion without the walk (gc docs: unfreeze puts the permanent
    generation "back into the oldest generation"). Skipped if someone froze objects on purpose
    (a pre-fork server): unfreezing would undo that.
    """
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _parse(
    raw: bytes,
    region: str | None,
    fmt: str,
    own_emails: frozenset[str],
    calendar_window: tuple[dt.datetime, dt.datetime] | None,
    zone: dt.tzinfo,
) -> ParseResult:
    kind = detect_kind(raw) if fmt == "auto" else fmt
    if kind == "vcard":
        from pipeline.formats.vcard.parse import read_vcards

        result, unchecked = read_vcards(raw, region=region)
        drop_controls(unchecked)
        return result
    if kind == "ics":
        from pipeline.formats.ics.parse import parse_calendar

        start, end = calendar_window or (None, None)
        return parse_calendar(
            raw, own_emails=own_emails, window_start=start, window_end=end, zone=zone
        )
    from pipeline.formats.csv.parse import parse_csv

    return _without_controls(parse_csv(raw, region=region, fmt="auto" if kind == "csv" else kind))


_TEXT_FIELDS = (
    "source_uid",
    "full_name",
    "given_name",
    "family_name",
    "organization",
    "title",
    "birthday",
    "note",
    "connected_on",
    "nickname",
)


def _without_controls(result: ParseResult) -> ParseResult:
    """No C0 control character but TAB, LF and CR (a quoted-printable `=00`, a stray NUL)
    reaches a record: the policy is in pipeline/normalize.py."""
    drop_controls(result.contacts)
    return result


def drop_controls(records: list[ContactRecord]) -> None:
    for record in records:
        # Fast path: one search over the record's text joined (almost every record is clean)
        # instead of one per field; "\n" is allowed, so joining cannot create a match.
        parts = [getattr(record, name) or "" for name in _TEXT_FIELDS]
        for name in ("emails", "phones", "groups", "urls"):
            parts += getattr(record, name)
        if not RECORD_CONTROLS.search("\n".join(parts)):
            continue
        for name in _TEXT_FIELDS:
            value = getattr(record, name)
            if value and RECORD_CONTROLS.search(value):
                setattr(record, name, strip_record_controls(value) or None)
        for name in ("emails", "phones", "groups", "urls"):
            values = getattr(record, name)
            if any(RECORD_CONTROLS.search(v) for v in values):
                setattr(record, name, [c for v in values if (c := strip_record_controls(v))])
