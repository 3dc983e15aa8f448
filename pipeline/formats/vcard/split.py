"""Well-formed vCard files to cards at C speed; other layouts go to the line machine."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.formats.vcard.lexer import MARKER, RawCard, relex
from pipeline.models import ImportIssue

# Searched in "\n" + the upper-cased file: the leading literal makes the scan fast.
_MARKERS = re.compile(rb"\n" + MARKER + rb"(?=\n|$)")


_ENCODED = (b"ENCODING", b"CHARSET", b"QUOTED-", b"BASE64")  # 2.1 also has them as bare words


def _lex_body(card: RawCard, body: bytes, upper: bytes, start: int, encoded: list[bytes]) -> bool:
    """Unfold a card whose only quirk is folding (RFC 6350 3.2); False if it needs the machine.

    `upper[start:]` is `body` upper-cased; `encoded` the keywords of _ENCODED the file holds.
    Blank lines (2.1 base64 and QUOTED-PRINTABLE endings, or before folded lines) and
    QUOTED-PRINTABLE soft breaks change how lines join; anything else unusual (colon-less lines,
    odd names) is caught when the lines become properties (vcard_props), which calls `relex`.
    Every check is one C-level scan: this runs once per card of files with 100,000 cards.
    """
    if body[:1] in (b" ", b"\t", b"\n") or b"\n\n" in body:
        return False
    end = start + len(body)
    if b"QUOTED-" in encoded and upper.find(b"QUOTED-PRINTABLE", start, end) >= 0:
        return False
    text = body.replace(b"\n ", b"")  # the same object when nothing is folded
    if b"\t" in text:
        text = text.replace(b"\n\t", b"")
    plain = True
    if text is body:  # no fold can split a keyword: search the file's upper-cased copy
        for word in encoded:
            if upper.find(word, start, end) >= 0:
                plain = False
                break
    elif encoded:
        folded = text.upper()
        for word in encoded:
            if word in folded:
                plain = False
                break
    card.plain = plain
    card.text = text
    card.lines = None
    return True


class IrregularLayout(Exception):
    """The file is not a plain sequence of BEGIN/END blocks; read it with the line machine."""


def iter_regular(data: bytes, issues: list[ImportIssue]) -> Iterator[RawCard]:
    """Cards of a file whose BEGIN/END lines pair up with nothing but blank lines between cards,
    one at a time so that each is read and dropped before the next (fewer live objects).

    Raises IrregularLayout, possibly after some cards, for any other layout (nesting, missing
    BEGIN or END, text outside cards): the caller then starts again with `split_cards_by_line`.
    """
    upper = b"\n" + data.upper()
    encoded = [word for word in _ENCODED if word in upper]
    markers = _MARKERS.finditer(upper)
    position, number, cards = 0, 1, 0
    count = data.count
    # A match offset in `upper` is the offset of the marker line's first byte in `data`.
    for begin in markers:
        end = next(markers, None)
        start = begin.start()
        # upper[start + 1] is the marker's first letter: B(EGIN) then E(ND).
        if end is None or upper[start + 1] != 66 or upper[end.start() + 1] != 69:
            raise IrregularLayout
        if start > position + 1 and not data[position:start].isspace():
            raise IrregularLayout
        number += count(b"\n", position, start)
        card = RawCard(number)
        # The BEGIN line's LF is left out; the LF before END:VCARD ends the last property.
        card.body = body = data[begin.end() : end.start()]
        if not _lex_body(card, body, upper, begin.end() + 1, encoded):
            issues.extend(relex(card))
        number += count(b"\n", start, end.start())
        position = end.end() - 1
        cards += 1
        yield card
    if not cards or (position < len(data) and not data[position:].isspace()):
        raise IrregularLayout
