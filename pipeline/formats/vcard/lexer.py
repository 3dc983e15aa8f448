"""The vCard line machine: physical lines to cards of unfolded property lines, for any layout."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from pipeline.formats.decode import decode_bytes
from pipeline.models import ImportIssue

# A property line starts with a name (optionally `group.`) followed by `;` or `:` (RFC 6350 3.3).
_PROPERTY_START = re.compile(rb"[ \t]*[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_/-]+)*[ \t]*[;:]")
# A colon-less line that still opens a property: its parameters, or its `:`, come on a folded line.
_PARAMS_START = re.compile(rb"[A-Za-z0-9_./-]+;")
_NAME_ONLY = re.compile(rb"[A-Za-z0-9_./-]+")
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/=]+[ \t]*")
MARKER = rb"(BEGIN|END)[ \t]*:[ \t]*VCARD[ \t]*"
_MARKER = re.compile(MARKER, re.IGNORECASE)
_LOGICAL = re.compile(rb"\n(?![ \t])")  # a line break not followed by folding whitespace
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(slots=True)
class RawCard:
    """One card's unfolded property lines (bytes, not yet decoded) and where they are."""

    line: int  # of BEGIN:VCARD (or of the first property when BEGIN is missing)
    props: list[bytes] = field(default_factory=list)
    lines: list[int] | None = field(default_factory=list)  # None: computed from `body` on demand
    body: bytes = b""  # the physical lines between BEGIN and END (fast path only)
    text: bytes | None = None  # fast path: `body` unfolded, one property per line
    rows: list[tuple[str, str, str]] | None = None  # decoded (name, parameters, value) per line
    plain: bool = False  # fast path: no ENCODING, CHARSET, QUOTED-PRINTABLE or BASE64 in it
    clean: bool = False  # decoded as UTF-8 in one piece, no RECORD_CONTROL_BYTES (props.collect)
    implicit: bool = False  # recovered from property lines that had no BEGIN:VCARD

    def row_line(self, row: tuple[str, str, str]) -> int:
        """1-based line of a decoded row (see vcard_props); only issues need it."""
        return self.prop_line(self.rows.index(row) if self.rows else 0)

    def prop_line(self, index: int) -> int:
        """1-based line of property `index`; only issues need it, so fast cards count lazily."""
        if self.lines is None:
            self.lines = []
            number = self.line
            for part in _LOGICAL.split(self.body):
                number += 1
                if part:
                    self.lines.append(number)
                    number += part.count(b"\n")
        return self.lines[index]

    def property_lines(self) -> list[bytes]:
        if self.text is None:
            return self.props
        return [prop for prop in self.text.split(b"\n") if prop]


@dataclass(slots=True)
class _Open:
    """A card being read, plus the property whose physical lines are being collected."""

    card: RawCard
    parts: list[bytes] | None = None
    start: int = 0
    qp: bool = False
    b64: bool = False

    def flush(self) -> None:
        parts = self.parts
        if parts is not None:
            self.card.props.append(parts[0] if len(parts) == 1 else b"".join(parts))
            lines = self.card.lines
            if lines is not None:
                lines.append(self.start)
            self.parts = None

    def begin(self, line: bytes, number: int) -> None:
        self.flush()
        self.parts = [line]
        self.start = number
        head = line[: find_colon(line)] if b":" in line else line
        if b";" in head:
            upper = head.upper()
            self.qp = b"QUOTED-PRINTABLE" in upper
            self.b64 = b"BASE64" in upper or b"ENCODING=B" in upper
        else:
            self.qp = self.b64 = False


def find_colon(line: bytes) -> int:
    """Index of the `:` that ends the name and parameters; quoted parameter values may hold `:`."""
    colon = line.find(b":")
    if colon < 0 or line.find(b'"', 0, colon) < 0:
        return colon
    quoted = False
    for index, byte in enumerate(line):
        if byte == 34:  # "
            quoted = not quoted
        elif byte == 58 and not quoted:  # :
            return index
    return -1


def prepare(raw: bytes) -> bytes:
    """ASCII-compatible bytes with LF line endings.

    UTF-16/32 exports (Apple, Outlook) are re-encoded as UTF-8 first; a UTF-8 BOM is dropped.
    iOS 6.1.3 ends lines with CR CR LF, which is one line break, not a blank line in between.
    """
    if raw.startswith(_WIDE_BOMS) or (
        b"\x00" in raw[:4000] and not raw.startswith(b"\xef\xbb\xbf")
    ):
        raw = decode_bytes(raw)[0].encode("utf-8")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    raw = raw.replace(b"\r\n", b"\n")
    if b"\r" in raw:  # CR CR LF is now CR LF; any other CR is a line break of its own
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return raw


def _marker(line: bytes) -> int:
    """1 for BEGIN:VCARD, -1 for END:VCARD (any case, trailing spaces), else 0.

    The same rule as the fast path's search, so both readings agree on where cards are.
    """
    match = _MARKER.fullmatch(line)
    if match is None:
        return 0
    return 1 if match.group(1).upper() == b"BEGIN" else -1


def _folded_next(lines: list[bytes], index: int) -> bool:
    following = lines[index + 1] if index + 1 < len(lines) else b""
    return following[:1] in (b" ", b"\t")


class _Splitter:
    """The line-by-line state machine; cards may nest (AOSP reads nested cards as separate cards)."""

    def __init__(self) -> None:
        self.cards: list[RawCard] = []
        self.issues: list[ImportIssue] = []
        self.stack: list[_Open] = []
        self.junk_from = 0  # first line of a run of text outside any card

    def run(self, lines: list[bytes], first_number: int = 1) -> None:
        stack = self.stack
        for index, line in enumerate(lines):
            number = first_number + index
            if not stack:
                self.outside(line, number)
                continue
            top = stack[-1]
            parts = top.parts
            if top.qp and parts is not None and parts[-1].endswith(b"="):
                # QUOTED-PRINTABLE soft line break (2.1): the next line continues the value verbatim.
                parts[-1] = parts[-1][:-1]
                if not line.strip():
                    top.qp = False
                    continue
                if not _marker(line):
                    parts.append(line)
                    continue
            if not line:
                # A blank line ends 2.1 base64 (vCard 2.1 section 2.1.3) and a broken QP value.
                top.qp = top.b64 = False
                continue
            first = line[0]
            if first == 32 or first == 9:  # RFC 6350 3.2 folding: drop the LF and one whitespace
                if parts is not None:
                    parts.append(line[1:])
                elif not line.isspace():
                    self.issue(number, "continuation line with no property before it; ignored")
                continue
            if first in b"BbEe":
                kind = _marker(line)
                if kind:
                    self.card_marker(kind, number)
                    continue
            if b":" in line or _PARAMS_START.match(line):
                top.begin(line, number)
            elif _NAME_ONLY.fullmatch(line) and _folded_next(lines, index):
                top.begin(line, number)  # a name whose `:` is folded onto the next line
            elif top.b64 and parts is not None and _BASE64_LINE.fullmatch(line):
                parts.append(line)  # 2.1 base64 lines are not indented
            else:
                self.stray(top, line, number)

    def outside(self, line: bytes, number: int) -> None:
        if not line or line.isspace():
            return
        kind = _marker(line)
        if kind == 1:
            self.close_junk()
            self.stack.append(_Open(RawCard(number)))
        elif kind == -1:
            self.close_junk()
            self.issue(number, "END:VCARD without a BEGIN:VCARD; ignored")
        elif _PROPERTY_START.match(line):
            self.close_junk()
            # Maybe a card whose BEGIN:VCARD line is missing; kept only if an END:VCARD follows.
            top = _Open(RawCard(number, implicit=True))
            top.begin(line, number)
            self.stack.append(top)
        elif not self.junk_from:
            self.junk_from = number

    def close_junk(self) -> None:
        if self.junk_from:
            self.issue(self.junk_from, "text outside any BEGIN:VCARD/END:VCARD block; ignored")
            self.junk_from = 0

    def card_marker(self, kind: int, number: int) -> None:
        stack = self.stack
        top = stack[-1]
        top.flush()
        if kind == -1:
            stack.pop()
            if top.card.implicit:
                self.issue(
                    top.card.line,
                    "card has no BEGIN:VCARD line; read from here up to its END:VCARD",
                )
            self.cards.append(top.card)
            return
        if top.card.implicit:
            stack.pop()
            self.issue(top.card.line, "lines outside any BEGIN:VCARD/END:VCARD block; ignored")
        else:
            self.issue(
                number,
                f"BEGIN:VCARD inside the card that starts at line {top.card.line} "
                "(a nested card or a missing END:VCARD); read as a separate card",
            )
        stack.append(_Open(RawCard(number)))

    def stray(self, top: _Open, line: bytes, number: int) -> None:
        """A line that is neither a property nor folded: join it to the property above."""
        parts = top.parts
        if parts is None:
            self.issue(number, "line is not a property (no ':'); ignored")
            return
        if parts[-1].endswith(b"\\"):
            # Android 2.1 ends a line with a backslash to continue the value on the next line.
            parts[-1] = parts[-1][:-1]
        else:
            self.issue(
                number,
                "line is not a property and is not folded (no leading space); "
                "joined to the property above",
            )
        parts.append(b"\n")
        parts.append(line)

    def finish(self) -> None:
        self.close_junk()
        while self.stack:
            top = self.stack.pop()
            top.flush()
            if top.card.implicit:
                self.issue(top.card.line, "lines outside any BEGIN:VCARD/END:VCARD block; ignored")
                continue
            self.issue(top.card.line, "card has no END:VCARD; read up to the end of the file")
            self.cards.append(top.card)

    def issue(self, line: int, message: str) -> None:
        self.issues.append(ImportIssue(line, message))


def split_cards_by_line(data: bytes) -> tuple[list[RawCard], list[ImportIssue]]:
    """Every card of any layout, in file order (a nested card after its parent's BEGIN)."""
    splitter = _Splitter()
    splitter.run(data.split(b"\n"))
    splitter.finish()
    cards = sorted(splitter.cards, key=lambda card: card.line)
    return cards, splitter.issues


def relex(card: RawCard) -> list[ImportIssue]:
    """Read a fast-path card's body again with the line machine; returns its issues."""
    card.text = None
    card.props = []
    card.lines = []
    splitter = _Splitter()
    splitter.stack.append(_Open(card))
    splitter.run(card.body.split(b"\n"), card.line + 1)
    for top in splitter.stack:
        top.flush()
    return splitter.issues
