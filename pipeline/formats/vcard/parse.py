"""vCard 2.1/3.0/4.0 import: exported bytes to ContactRecords plus per-card issues."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from pipeline.formats.decode import decode_bytes
from pipeline.formats.vcard.fields import Reader, read_card
from pipeline.formats.vcard.lexer import RawCard, prepare, split_cards_by_line
from pipeline.formats.vcard.split import IrregularLayout, iter_regular
from pipeline.models import ContactRecord, ImportIssue, ParseResult, UnreadableFile

_LEGACY = frozenset({"cp1252", "latin_1", "iso8859_15", "shift_jis"})


def _legacy_decoder(data: bytes) -> Callable[[bytes], str]:
    """Decoder for 8-bit values that are not UTF-8, guessed once per file and only when needed."""
    guess: list[str] = []

    def decode(value: bytes) -> str:
        if not guess:
            try:
                encoding = decode_bytes(data)[1]
            except UnreadableFile:
                encoding = "cp1252"
            guess.append(encoding if encoding in _LEGACY else "cp1252")
        try:
            return value.decode(guess[0])
        except UnicodeDecodeError:
            # cp1252 leaves five bytes undefined; latin-1 maps every byte.
            return value.decode("latin-1")

    return decode


def _read_all(
    cards: Iterable[RawCard],
    reader: Reader,
    issues: list[ImportIssue],
    unclean: list[ContactRecord],
    by_line: dict[int, str] | None = None,
) -> tuple[list[ContactRecord], Counter[str]]:
    contacts: list[ContactRecord] = []
    versions: Counter[str] = Counter()
    for card in cards:
        try:
            record, version = read_card(card, reader, issues)
        except Exception as exc:  # one unreadable card must not cost the rest of the file
            issues.append(ImportIssue(card.line, f"card could not be read ({exc}); skipped"))
            continue
        if version:
            versions[version] += 1
            if by_line is not None:
                by_line[card.line] = version
        if record is not None:
            contacts.append(record)
            if not card.clean:
                unclean.append(record)
    return contacts, versions


def parse_vcards(raw: bytes, *, region: str | None) -> ParseResult:
    """Every card of a vCard export. Raises UnreadableFile only when the file holds no vCard."""
    return read_vcards(raw, region=region)[0]


def read_vcards(raw: bytes, *, region: str | None) -> tuple[ParseResult, list[ContactRecord]]:
    """parse_vcards, plus the records that may hold control characters (pipeline/normalize.py):
    those of cards not decoded as UTF-8 in one piece from bytes free of them (`RawCard.clean`).
    """
    if not raw.strip():
        raise UnreadableFile("the file is empty")
    data = prepare(raw)
    reader = Reader(region=region, fallback=_legacy_decoder(data))
    contacts, issues, unclean, versions = read_prepared(data, reader)
    # most_common keeps first-seen order on ties, so a tie goes to the first card's version.
    version = versions.most_common(1)[0][0] if versions else "3.0"
    return ParseResult(format=f"vcard-{version}", contacts=contacts, issues=issues), unclean


def reader_for(data: bytes, region: str | None) -> Reader:
    """The Reader of a file whose (first) prepared bytes are `data`."""
    return Reader(region=region, fallback=_legacy_decoder(data))


def read_prepared(
    data: bytes, reader: Reader, by_line: dict[int, str] | None = None
) -> tuple[list[ContactRecord], list[ImportIssue], list[ContactRecord], Counter[str]]:
    """Records, issues (by line), records that may hold control characters, and the cards'
    versions of `prepare`d bytes (a whole file, or a run of whole cards of one); `by_line`, if
    given, gets each card's version by its BEGIN line."""
    issues: list[ImportIssue] = []
    unclean: list[ContactRecord] = []
    try:
        contacts, versions = _read_all(iter_regular(data, issues), reader, issues, unclean, by_line)
    except IrregularLayout:
        cards, issues = split_cards_by_line(data)
        if not cards:
            raise UnreadableFile(
                "no vCard in the file (no BEGIN:VCARD ... END:VCARD block)"
            ) from None
        unclean.clear()  # the cards are read again from the start
        if by_line is not None:
            by_line.clear()
        contacts, versions = _read_all(cards, reader, issues, unclean, by_line)
    issues.sort(key=lambda issue: issue.line)
    return contacts, issues, unclean, versions
