"""Large vCard exports a batch of cards at a time, so an import's memory does not grow with
the file: the bytes come in chunks, are cut after an END:VCARD line every `cards` cards, and
each run of whole cards is read as the whole file would be (same reader, absolute lines).

Only ASCII-compatible files are cut on bytes (UTF-16/32 ones are re-encoded whole by
`prepare`); a file that is not a plain run of cards (nested cards, a lost END) is read a run at
a time too, each run by the line machine, so a card cut in two by a stray END line reads as
two broken cards rather than one (the whole-file reading would see the same damage).
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pipeline.formats.dispatch import drop_controls, no_gc_pauses
from pipeline.formats.vcard.fields import Reader
from pipeline.formats.vcard.lexer import prepare
from pipeline.formats.vcard.parse import read_prepared, reader_for
from pipeline.models import ContactRecord, ImportIssue, UnreadableFile

BATCH_CARDS = 5_000  # cards per batch: files up to this many are imported whole
CHUNK_BYTES = 1 << 20
# The END line of a card (RFC 6350 section 6.1.2, any case, blanks around the colon), with the
# line break that ends it: a cut after it leaves whole cards on both sides. CR CR LF (iOS) too.
_END = re.compile(rb"\n[ \t]*[Ee][Nn][Dd][ \t]*:[ \t]*[Vv][Cc][Aa][Rr][Dd][ \t\r]*\n")
_VCARD = re.compile(rb"^\s*(?:BEGIN|END)\s*:\s*VCARD", re.IGNORECASE | re.MULTILINE)
_VCAL = re.compile(rb"^\s*BEGIN\s*:\s*VCALENDAR", re.IGNORECASE | re.MULTILINE)
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(slots=True)
class Batch:
    """One run of whole cards: its records and issues, lines counted from the file's start."""

    contacts: list[ContactRecord]
    issues: list[ImportIssue]
    versions: Counter[str] = field(default_factory=Counter)


def chunks_of(raw: bytes, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Bytes already in memory as chunks (an upload): only one piece is copied at a time."""
    view = memoryview(raw)
    for start in range(0, len(raw), size):
        yield bytes(view[start : start + size])


def looks_vcard(head: bytes) -> bool:
    """`detect_kind` says "vcard" of a file starting with `head` (its test, on bytes)."""
    head = head[:200_000]
    return _VCAL.search(head) is None and _VCARD.search(head) is not None


def cuttable(head: bytes) -> bool:
    """Whether a file starting with `head` can be cut on bytes: not UTF-16/32 (the test of
    `prepare`, which re-encodes those whole)."""
    return not head.startswith(_WIDE_BOMS) and (
        b"\x00" not in head[:4000] or head.startswith(codecs.BOM_UTF8)
    )


def split_pieces(chunks: Iterable[bytes], cards: int) -> Iterator[bytes]:
    """The file in runs of `cards` whole cards (the last run holds the rest); a run that is
    only blanks is not yielded, so a file of at most `cards` cards comes out as one piece."""
    buf = bytearray()
    found, scan = 0, 0
    for chunk in chunks:
        buf += chunk
        while True:
            # From the last match's line break: it may start the next END line.
            match = _END.search(buf, max(0, scan - 1))
            if match is None:
                break
            found, scan = found + 1, match.end()
            if found == cards:
                piece = bytes(buf[:scan])
                del buf[:scan]
                found, scan = 0, 0
                yield piece
    if buf.strip():
        yield bytes(buf)


def read_batches(pieces: Iterable[bytes], *, region: str | None) -> Iterator[Batch]:
    """Each piece of `split_pieces` read like a file of its own, with the file's line numbers
    and one reader (the legacy 8-bit guess is made once, from the first piece that needs it)."""
    reader: Reader | None = None
    offset = 0
    for piece in pieces:
        data = prepare(piece)
        del piece
        if reader is None:
            reader = reader_for(data, region)
        # The phone memo is unbounded (one entry per distinct number): per batch, not per file.
        reader.phones.clear()
        try:
            with no_gc_pauses():
                contacts, issues, unclean, versions = read_prepared(data, reader)
        except UnreadableFile:
            contacts, unclean, versions = [], [], Counter[str]()
            issues = [ImportIssue(offset + 1, "no vCard in these lines: skipped")]
        else:
            if offset:
                for record in contacts:
                    record.line += offset
                issues = [ImportIssue(i.line + offset, i.message) if i.line else i for i in issues]
        drop_controls(unclean)
        offset += data.count(b"\n")
        del data
        yield Batch(contacts, issues, versions)


def vcard_format(versions: Counter[str]) -> str:
    """The file's format from every card's version, as the whole-file reading names it."""
    # most_common keeps first-seen order on ties, so a tie goes to the first card's version.
    return f"vcard-{versions.most_common(1)[0][0] if versions else '3.0'}"
