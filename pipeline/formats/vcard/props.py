"""A lexed card's properties by name, values decoded to text (transfer encoding and CHARSET undone)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.formats.vcard.lexer import RawCard, relex
from pipeline.formats.vcard.values import declares_encoding, decode_value, split_property
from pipeline.models import ImportIssue
from pipeline.normalize import RECORD_CONTROL_BYTES

# (name as written, raw parameters, value as text); PHOTO keeps its base64 text.
Row = tuple[str, str, str]
Props = dict[str, list[Row]]

IM_NAMES: tuple[str, ...] = (
    *("X-GOOGLE-TALK", "X-GTALK", "X-JABBER", "X-AIM", "X-ICQ", "X-MSN", "X-YAHOO"),
    *("X-SKYPE", "X-SKYPE-USERNAME", "X-QQ", "X-TWITTER", "IMPP"),
)
_WANTED = (
    *("VERSION", "FN", "N", "NICKNAME", "ORG", "TITLE", "NOTE", "EMAIL", "TEL", "URL"),
    *("CATEGORIES", "UID", "BDAY", "PHOTO", "KIND", "X-ADDRESSBOOKSERVER-KIND"),
    *("X-SOCIALPROFILE", "X-ANDROID-CUSTOM", *IM_NAMES),
)
_BY_NAME = {name: name for name in _WANTED}
# Names seen so far -> wanted name or None; bounded so that odd files cannot grow it forever.
_KEYS: dict[str, str | None] = dict(_BY_NAME)

# group.NAME;params:value, one match per line (quoted parameter values may hold `:` and `;`).
# Possessive (`*+`) and an empty branch instead of `(...)?`: the same matches (each class stops
# at the character that must follow it), without backtracking state, ~8% faster per line.
_LINE = r'^([A-Za-z0-9_./-]++)(?:;([^:"\n]*+(?:"[^"\n]*+"[^:"\n]*+)*+)|):(.*+)\n'
_LINES_STR = re.compile(_LINE, re.MULTILINE)
_LINES_BYTES = re.compile(_LINE.encode(), re.MULTILINE)


def _key(name: str) -> str | None:
    """The wanted property a name stands for: case-insensitive, Apple `item1.` groups dropped."""
    key = _KEYS.get(name, "")
    if key == "":
        key = _BY_NAME.get(name.rpartition(".")[2].upper())
        if len(_KEYS) < 5000:
            _KEYS[name] = key
    return key


def collect(card: RawCard, fallback: Callable[[bytes], str], issues: list[ImportIssue]) -> Props:
    """The properties a ContactRecord needs, by upper-cased name; sets `card.rows`.

    A fast-path card that declares no encoding and is valid UTF-8 is decoded in one piece;
    other cards value by value, honouring 2.1's per-property CHARSET. A card with a line that
    is not a plain property goes back to the line machine (`relex`) first.
    """
    text = card.text
    if text is not None:  # no blank lines: vcard_split sends those cards to the line machine
        lines = text.count(b"\n")
        try:
            whole = text.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            rows = _LINES_STR.findall(whole)
            if len(rows) == lines:  # every line is a plain property
                if card.plain:  # no ENCODING or CHARSET in the card (vcard_split)
                    # Nothing read from this text can hold a control character a record may not.
                    card.clean = len(text.translate(None, RECORD_CONTROL_BYTES)) == len(text)
                else:
                    _redecode(rows, fallback)
                card.rows = rows
                return _table(rows)
        found = _LINES_BYTES.findall(text)
        if len(found) == lines:
            card.rows = _decode(found, fallback)
            return _table(card.rows)
    if text is not None:
        issues.extend(relex(card))
    found = []
    for index, prop in enumerate(card.props):
        split = split_property(prop)
        if split is None:
            line = card.prop_line(index)
            issues.append(ImportIssue(line, "property has no ':' before its value; ignored"))
            split = (b"", b"", b"")
        found.append(split)
    card.rows = _decode(found, fallback)
    return _table(card.rows)


def _decode(found: list[tuple[bytes, bytes, bytes]], fallback: Callable[[bytes], str]) -> list[Row]:
    """Rows of a card whose values need decoding one by one; unwanted values stay undecoded."""
    rows: list[Row] = []
    for name_bytes, raw_params, value in found:
        name = name_bytes.decode("latin-1")
        key = _key(name) if name else None
        if key is None:
            rows.append((name, "", ""))
            continue
        params = raw_params.decode("utf-8", "replace")
        if key == "PHOTO":
            rows.append((name, params, value.decode("latin-1")))  # base64 or a URI: ASCII
        else:
            rows.append((name, params, decode_value(raw_params, value, fallback)))
    return rows


def _redecode(rows: list[Row], fallback: Callable[[bytes], str]) -> None:
    """Make the rows of a card decoded as UTF-8 in one piece what `_decode` gives, for a card
    that declares an ENCODING or CHARSET somewhere (most often only on its PHOTO).

    A valid UTF-8 text's pieces encode back to exactly their bytes, so a value whose parameters
    declare nothing is already decoded as `decode_8bit` would; the others are decoded again from
    their bytes. Rows of properties no record reads keep their text (nothing reads them).
    """
    for index, (name, params, value) in enumerate(rows):
        if not params and value.isascii():
            continue
        key = _KEYS.get(name, "")
        if key == "":
            key = _key(name)
        if key is None:
            continue
        if key == "PHOTO":
            if not value.isascii():  # `_decode` reads PHOTO as latin-1 (base64 is ASCII)
                rows[index] = (name, params, value.encode("utf-8").decode("latin-1"))
            continue
        if not params:
            continue
        raw_params = params.encode("utf-8")
        if declares_encoding(raw_params):
            rows[index] = (name, params, decode_value(raw_params, value.encode("utf-8"), fallback))


def _table(rows: list[Row]) -> Props:
    props: Props = {}
    keys = _KEYS
    for row in rows:
        key = keys.get(row[0], "")
        if key == "":
            key = _key(row[0])
        if key is not None:
            entries = props.get(key)
            if entries is None:
                props[key] = [row]
            else:
                entries.append(row)
    return props
