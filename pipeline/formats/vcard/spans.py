"""Where each card of a well-formed vCard run lies in its bytes, and a digest of those bytes:
a re-import recognises a card it read before without reading it again.

A card's parse depends only on its own bytes and the file's settings (region, the 8-bit guess):
a card whose bytes are UTF-8 never uses the guess, so its digest (with the region and the
parser's identity) stands for its parse. Only the layout `iter_regular` reads at C speed has
spans: BEGIN/END blocks with blank lines between them (RFC 6350 section 6.1.2, one card per
BEGIN:VCARD ... END:VCARD). Any other layout has none, and every card of it is read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from typing import NamedTuple

from pipeline.formats.vcard.lexer import MARKER

# The same search as iter_regular's: "\n" + the upper-cased bytes, a marker line each.
_MARKERS = re.compile(rb"\n" + MARKER + rb"(?=\n|$)")


class Span(NamedTuple):  # a tuple: 50,000 of them per re-import are made in a blink
    """One card: its BEGIN line (counted from 1 in these bytes), its bytes' range from the BEGIN
    line's first byte to the END line's line break, and their digest (None: not a card to
    recognise, its bytes are not UTF-8)."""

    line: int
    last: int  # its END line
    start: int
    end: int
    digest: str | None


def _utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def card_spans(data: bytes, identity: bytes) -> list[Span] | None:
    """Every card of `prepare`d bytes in order, or None when they are not a plain run of cards
    (nesting, a lost BEGIN or END, text between cards): those are read whole, as always."""
    upper = b"\n" + data.upper()
    spans: list[Span] = []
    markers = _MARKERS.finditer(upper)
    position, line = 0, 1
    count = data.count
    view = memoryview(data)  # slices without copies, for the digests
    utf8 = _utf8(data)  # then every card is UTF-8, without asking each one
    key = identity[:64]
    blake2b = hashlib.blake2b
    for begin in markers:
        end = next(markers, None)
        start = begin.start()  # the BEGIN line's first byte in `data`
        if end is None or upper[start + 1] != 66 or upper[end.start() + 1] != 69:
            return None  # B(EGIN) must come before E(ND), in pairs
        if start > position and not data[position:start].isspace():
            return None
        line += count(b"\n", position, start)
        stop = min(end.end(), len(data))  # the END line with its line break, if it has one
        last = line + count(b"\n", start, end.start())
        body = view[start:stop]
        digest = None
        if utf8 or _utf8(bytes(body)):
            digest = blake2b(body, digest_size=16, key=key).hexdigest()
        spans.append(Span(line, last, start, stop, digest))
        line = last + (end.end() <= len(data))  # the END line's own line break
        position = stop
    if not spans or (position < len(data) and not data[position:].isspace()):
        return None
    return spans


def blank_out(data: bytes, spans: Sequence[Span], skip: Collection[int]) -> bytes:
    """`data` with the cards at these indexes of `spans` replaced by as many empty lines (the
    other cards keep their line numbers; blank lines between cards are allowed)."""
    if not skip:
        return data
    parts: list[bytes] = []
    position = 0
    for index in sorted(skip):
        span = spans[index]
        parts.append(data[position : span.start])
        parts.append(b"\n" * data.count(b"\n", span.start, span.end))
        position = span.end
    parts.append(data[position:])
    return b"".join(parts)
