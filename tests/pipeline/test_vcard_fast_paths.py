"""The vCard parser's fast paths give exactly what the general code gives, on tricky inputs.

Each fast path (issue 13: parse speed) is compared with the slower reading it stands in for:
the property-line pattern with its original spelling, backslash escapes with the pair-by-pair
loop, cards decoded in one piece with value-by-value decoding, the control-character check
skipped for clean cards with the check applied to every record, the head of a file decoded
alone with the whole file decoded.
"""

from __future__ import annotations

import codecs
import gc
import re
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.formats.decode import decode_bytes, decode_head
from pipeline.formats.dispatch import _without_controls, parse_export
from pipeline.formats.vcard.parse import parse_vcards, read_vcards
from pipeline.formats.vcard.props import _LINES_BYTES, _LINES_STR, _decode, _redecode, _table
from pipeline.formats.vcard.split import IrregularLayout
from pipeline.formats.vcard.values import _ESCAPE, _split_pairs, _unescape_pair, split_escaped
from pipeline.formats.vcard.values import unescape as unescape_value
from pipeline.models import ParseResult, UnreadableFile
from pipeline.normalize import RECORD_CONTROL_BYTES, RECORD_CONTROLS

# The property-line pattern as it was first written (greedy, `(...)?`): the reference.
_REFERENCE_LINE = r'^([A-Za-z0-9_./-]+)(?:;([^:"\n]*(?:"[^"\n]*"[^:"\n]*)*))?:(.*)\n'
_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_LINE_CHARS = st.sampled_from([*list('AZaz09_.-/;:=",\\ \t\n\r^é€'), "\x00", "\x1f", "\x7f"])
_ESCAPE_CHARS = st.sampled_from(list('ab\\,;:nN \n\t"é'))


@_SETTINGS
@given(st.text(alphabet=_LINE_CHARS, max_size=80))
def test_the_property_line_pattern_matches_what_its_first_spelling_matched(text: str) -> None:
    reference = re.compile(_REFERENCE_LINE, re.MULTILINE)
    assert _LINES_STR.findall(text) == reference.findall(text)
    raw = text.encode("utf-8")
    assert _LINES_BYTES.findall(raw) == re.compile(_REFERENCE_LINE.encode(), re.M).findall(raw)


@_SETTINGS
@given(st.text(alphabet=_ESCAPE_CHARS, max_size=40), st.sampled_from([",", ";"]))
def test_escapes_are_undone_as_the_pair_by_pair_reading_undoes_them(text: str, sep: str) -> None:
    """RFC 6350 3.4 / RFC 2426 5: `\\,` `\\;` `\\n` `\\\\` (and Apple's `\\:`)."""
    assert unescape_value(text, "3.0") == _ESCAPE.sub(_unescape_pair, text)
    expected = [_ESCAPE.sub(_unescape_pair, part) for part in _split_pairs(text, sep)]
    if "\\" not in text:
        expected = text.split(sep)
    assert split_escaped(text, sep, "3.0") == expected


def test_an_escaped_separator_stays_in_its_component_and_a_doubled_backslash_does_not_escape() -> (
    None
):
    assert split_escaped("Globex\\, Inc.;Sales", ";", "3.0") == ["Globex, Inc.", "Sales"]
    assert split_escaped("a\\\\;b", ";", "3.0") == ["a\\", "b"]
    assert split_escaped("a\\;b\\", ";", "3.0") == ["a;b\\"]
    assert unescape_value("line\\none\\, two\\:x\\q", "4.0") == "line\none, two:x\\q"


_VALUES = st.sampled_from(
    ["Ann", "Müller", "太郎", "a\\,b", "x=C3=BC", "=00", "aGVsbG8=", "\x01bell", "caf\xe9"]
)
_PARAMS = st.sampled_from(
    [
        "",
        "type=WORK",
        "ENCODING=b",
        "ENCODING=QUOTED-PRINTABLE",
        "CHARSET=ISO-8859-1",
        "CHARSET=UTF-8",
        "BASE64",
        'X-A="q:x;y"',
    ]
)
_NAMES = st.sampled_from(["FN", "N", "ORG", "NOTE", "PHOTO", "item1.EMAIL", "TEL", "X-ABLabel"])


@_SETTINGS
@given(st.lists(st.tuples(_NAMES, _PARAMS, _VALUES), min_size=1, max_size=8), st.booleans())
def test_a_card_decoded_in_one_piece_gives_the_rows_value_by_value_decoding_gives(
    lines: list[tuple[str, str, str]], latin: bool
) -> None:
    text = "".join(
        f"{name}{';' + params if params else ''}:{value}\n" for name, params, value in lines
    )
    raw = text.encode("latin-1" if latin and _latin(text) else "utf-8")
    try:
        whole = raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # such a card is read value by value anyway
    rows = _LINES_STR.findall(whole)
    found = _LINES_BYTES.findall(raw)
    assert len(rows) == len(found)
    _redecode(rows, _cp1252)
    # Only the properties a record reads are compared: the others are never decoded.
    assert _table(rows) == _table(_decode(found, _cp1252))


def _cp1252(data: bytes) -> str:
    return data.decode("cp1252", "replace")


def _latin(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def test_record_control_bytes_are_the_record_control_characters_below_0x80() -> None:
    for byte in range(0x80):
        assert (byte in RECORD_CONTROL_BYTES) == bool(RECORD_CONTROLS.match(chr(byte)))


# Cards from quirky pieces: folded lines (RFC 6350 3.2, RFC 2426 2.6), QUOTED-PRINTABLE soft
# breaks (vCard 2.1), escaped separators, group prefixes, control characters, photos.
_CARD_LINES = st.sampled_from(
    [
        "FN:Ann Example",
        "FN:Ann\x01Bell",
        "N:Doe;John;;;",
        "N:Globex\\, Inc.;Ann\\;Bea;;;",
        "ORG:Acme\\, Inc.;Sales",
        "ORG:Acme",
        "item1.EMAIL;type=INTERNET:ann@example.org",
        "EMAIL:bob\x7f@example.org",
        "TEL;type=CELL:(212) 555-0100",
        "TEL:+44 20 7946 0958",
        "TEL;VALUE=uri:tel:+1-212-555-0101",
        "NOTE:one\\ntwo\\, three",
        "NOTE;ENCODING=QUOTED-PRINTABLE:soft=",
        "break=00here",
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=",
        "=C3=BC;;;",
        "CATEGORIES:Family,Friends",
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-30",
        "BDAY:1980-02-30",
        "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAg=",
        "FN;CHARSET=ISO-8859-1:Jos\xe9",
        "X-ABLabel:_$!<Other>!$_",
        "URL:https\\://example.com/~ann",
        " folded continuation",
        "\tfolded with a tab",
        "",
    ]
)


def _fold(line: str, at: int) -> str:
    return line if not 0 < at < len(line) else line[:at] + "\n " + line[at:]


@_SETTINGS
@given(
    st.lists(st.lists(st.tuples(_CARD_LINES, st.integers(0, 30)), max_size=10), max_size=4),
    st.sampled_from(["\n", "\r\n", "\r", "mixed"]),
    st.sampled_from(["2.1", "3.0", "4.0"]),
)
def test_parse_export_reads_every_file_as_the_line_machine_with_every_record_checked(
    cards: list[list[tuple[str, int]]], ending: str, version: str
) -> None:
    lines: list[str] = []
    for card in cards:
        lines += ["BEGIN:VCARD", f"VERSION:{version}"]
        lines += [_fold(line, at) for line, at in card]
        lines.append("END:VCARD")
    text = "\n".join(lines) + "\n"
    if ending == "mixed":
        text = "".join(
            part + ("\r\n" if i % 2 else "\n") for i, part in enumerate(text.split("\n"))
        )
    elif ending != "\n":
        text = text.replace("\n", ending)
    raw = text.encode("utf-8", "surrogateescape")
    raw = raw.replace("é".encode(), b"\xe9") if "Jos" in text else raw

    def irregular(data: bytes, issues: list[object]) -> object:
        raise IrregularLayout

    try:
        fast = parse_export(raw, region="US", fmt="vcard")
    except UnreadableFile:
        return
    with patch("pipeline.formats.vcard.parse.iter_regular", irregular):
        slow = _without_controls(parse_vcards(raw, region="US"))
    assert fast.contacts == slow.contacts
    assert fast.format == slow.format
    assert sorted((i.line, i.message) for i in fast.issues) == sorted(
        (i.line, i.message) for i in slow.issues
    )
    for record in fast.contacts:
        for value in record.contract_dict().values():
            for item in value if isinstance(value, list) else [value]:
                assert not (isinstance(item, str) and RECORD_CONTROLS.search(item))


def test_only_cards_decoded_clean_skip_the_control_character_check() -> None:
    raw = (
        b"BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEND:VCARD\n"
        b"BEGIN:VCARD\nVERSION:3.0\nFN:Bo\x01b\nEND:VCARD\n"
        b"BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:C=00y\nEND:VCARD\n"
    )
    result, unclean = read_vcards(raw, region="US")
    _ann, bob, cy = result.contacts
    assert [id(r) for r in unclean] == [id(bob), id(cy)]
    assert bob.full_name == "Bo\x01b"  # parse_vcards leaves the policy to parse_export
    assert [c.full_name for c in parse_export(raw, region="US").contacts] == ["Ann", "Bob", "Cy"]


def test_records_with_the_same_categories_get_lists_of_their_own() -> None:
    card = "BEGIN:VCARD\nVERSION:3.0\nFN:{}\nCATEGORIES:Work,Gym\nEND:VCARD\n"
    result: ParseResult = parse_export((card.format("A") + card.format("B")).encode(), region="US")
    first, second = result.contacts
    assert first.groups == second.groups == ["Work", "Gym"]
    first.groups.append("Changed")
    assert second.groups == ["Work", "Gym"]


_HEADS = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60).map(lambda t: t.encode("utf-8")),
    st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"", b"  \n"]).flatmap(
        lambda bom: st.text(max_size=30).map(
            lambda t: bom + t.encode("utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-8")
        )
    ),
)


@_SETTINGS
@given(_HEADS, st.integers(0, 40), st.booleans())
def test_the_head_of_a_file_is_what_decoding_the_whole_file_begins_with(
    raw: bytes, chars: int, large: bool
) -> None:
    if large:  # past one 64 KB piece, with a multi-byte character across the boundary
        raw = raw + "é".encode() * 40_000 + raw
    try:
        expected = decode_bytes(raw)[0][:chars]
    except UnreadableFile as exc:
        try:
            decode_head(raw, chars)
        except UnreadableFile as again:
            assert str(again) == str(exc)
            return
        raise AssertionError("decode_head read a file decode_bytes refuses") from None
    assert decode_head(raw, chars) == expected


def test_a_parse_leaves_the_collector_on_and_nothing_frozen() -> None:
    raw = b"BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEND:VCARD\n"
    assert gc.isenabled()
    parse_export(raw, region="US")
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        parse_export(raw, region="US")
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_a_parse_leaves_objects_someone_froze_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        parse_export(b"BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEND:VCARD\n", region="US")
        # An unfreeze would empty the permanent generation (count 0); a frozen object that dies
        # meanwhile leaves it too, so in a long test process the count may drop by a few.
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()
