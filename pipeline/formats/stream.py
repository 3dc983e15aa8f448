"""Large vCard exports a batch of cards at a time, so an import's memory does not grow with
the file: the bytes come in chunks, are cut after an END:VCARD line every `cards` cards, and
each run of whole cards is read as the whole file would be (same reader, absolute lines).

Only ASCII-compatible files are cut on bytes (UTF-16/32 ones are re-encoded whole by
`prepare`); a file that is not a plain run of cards (nested cards, a lost END) is read a run at
a time too, each run by the line machine, so a card cut in two by a stray END line reads as
two broken cards rather than one (the whole-file reading would see the same damage).
"""

from __future__ import annotations

import bisect
import codecs
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

from pipeline.formats.dispatch import drop_controls, no_gc_pauses
from pipeline.formats.vcard.fields import Reader
from pipeline.formats.vcard.lexer import prepare
from pipeline.formats.vcard.parse import read_prepared, reader_for
from pipeline.formats.vcard.spans import Span, blank_out, card_spans
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
    # BEGIN line -> digest of each card a re-import may recognise by its bytes (`card_spans`),
    # and -> version of each card read (in file order: the format's tie goes to the first).
    raw: dict[int, str] = field(default_factory=dict)
    versions_at: dict[int, str] = field(default_factory=dict)


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


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of whole cards, `prepare`d, with the lines before it and its cards' spans (None
    without an identity, or for an irregular layout: every card of it is read)."""

    data: bytes
    offset: int
    spans: list[Span] | None


class BatchReader:
    """Reads the pieces of one file in order: one reader (the legacy 8-bit guess is made once,
    from the first piece that needs it), the file's line numbers. `identity` (the parser's and
    the region's, see `card_spans`) makes each piece's cards recognisable by their bytes."""

    def __init__(self, region: str | None, identity: bytes | None = None) -> None:
        self.region = region
        self.identity = identity
        self.reader: Reader | None = None
        self.offset = 0

    def cut(self, piece: bytes) -> Piece:
        data = prepare(piece)
        if self.reader is None:
            self.reader = reader_for(data, self.region)
        spans = card_spans(data, self.identity) if self.identity is not None else None
        cut = Piece(data, self.offset, spans)
        self.offset += data.count(b"\n")
        return cut

    def read(self, piece: Piece, skip: Collection[int] = ()) -> Batch:
        """The piece's cards but those at `skip` (indexes of its spans: read before, known)."""
        reader = self.reader
        assert reader is not None, "cut comes first"
        offset, spans = piece.offset, piece.spans or []
        if skip and len(skip) == len(spans):
            return Batch([], [])
        data = blank_out(piece.data, spans, skip)
        # The phone memo is unbounded (one entry per distinct number): per batch, not per file.
        reader.phones.clear()
        by_line: dict[int, str] = {}
        try:
            with no_gc_pauses():
                contacts, issues, unclean, _ = read_prepared(data, reader, by_line)
        except UnreadableFile:
            contacts, unclean = [], []
            issues = [ImportIssue(offset + 1, "no vCard in these lines: skipped")]
            by_line.clear()
        del data
        raw = _recognisable(spans, skip, contacts, issues)
        if offset:
            for record in contacts:
                record.line += offset
            issues = [ImportIssue(i.line + offset, i.message) if i.line else i for i in issues]
        drop_controls(unclean)
        return Batch(
            contacts,
            issues,
            {line + offset: digest for line, digest in raw.items()},
            {line + offset: version for line, version in by_line.items()},
        )


def _recognisable(
    spans: list[Span],
    skip: Collection[int],
    contacts: list[ContactRecord],
    issues: list[ImportIssue],
) -> dict[int, str]:
    """BEGIN line -> digest of each card read that made exactly one record and no issue on
    any of its lines: only such a card may be recognised instead of read next time."""
    if not spans:
        return {}
    made = Counter(record.line for record in contacts)
    starts = [span.line for span in spans]
    spoiled = set()
    for issue in issues:
        at = bisect.bisect_right(starts, issue.line) - 1
        if at >= 0 and issue.line <= spans[at].last:
            spoiled.add(at)
    return {
        span.line: span.digest
        for index, span in enumerate(spans)
        if span.digest is not None
        and index not in skip
        and index not in spoiled
        and made[span.line] == 1
    }


def vcard_format(versions: Counter[str]) -> str:
    """The file's format from every card's version, as the whole-file reading names it."""
    # most_common keeps first-seen order on ties, so a tie goes to the first card's version.
    return f"vcard-{versions.most_common(1)[0][0] if versions else '3.0'}"
