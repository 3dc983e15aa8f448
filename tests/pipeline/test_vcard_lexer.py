"""vCard lines: folding, QUOTED-PRINTABLE soft breaks, card boundaries and the two readers."""

from __future__ import annotations

import codecs
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.formats.vcard.lexer import prepare, split_cards_by_line
from pipeline.formats.vcard.parse import parse_vcards
from pipeline.formats.vcard.split import IrregularLayout
from pipeline.models import ParseResult


def parse(text: str | bytes, region: str | None = "US") -> ParseResult:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_vcards(raw, region=region)


def card(*lines: str, version: str = "3.0", end: str = "\r\n") -> str:
    return end.join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD", ""])


def messages(result: ParseResult) -> str:
    return " | ".join(f"{i.line}: {i.message}" for i in result.issues)


def test_folded_lines_join_without_the_one_leading_space_or_tab() -> None:
    result = parse(card("FN:Jo", " hn Sm", "\tith", "EMAIL:john.smith@exa", " mple.com"))
    [contact] = result.contacts
    assert contact.full_name == "John Smith"
    assert contact.emails == ["john.smith@example.com"]
    assert result.issues == []


def test_a_fold_inside_a_utf8_sequence_is_joined_before_decoding() -> None:
    name = "βγδεαβγδ".encode()
    raw = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:" + name[:5] + b"\r\n " + name[5:] + b"\r\nEND:VCARD\r\n"
    )
    assert parse(raw).contacts[0].full_name == "βγδεαβγδ"


def test_quoted_printable_soft_line_breaks_join_into_one_value() -> None:
    result = parse(
        card(
            "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91=20=C3=91=",
            "=20=C3=91",
            "NOTE;ENCODING=QUOTED-PRINTABLE:Now's the time =",
            "for all folk to come=",
            " to the aid of their country.",
            "TEL:212-555-0100",
            version="2.1",
        )
    )
    [contact] = result.contacts
    assert contact.full_name == "Ñ Ñ Ñ"
    # The continuation line's leading space is text, not folding (RFC 2045 6.7 soft break).
    assert contact.note == "Now's the time for all folk to come to the aid of their country."
    assert contact.phones == ["+12125550100"]


@pytest.mark.parametrize(
    ("charset", "encoded", "expected"),
    [
        ("ISO-8859-1", "Gr=FC=DFe", "Grüße"),
        ("windows-1252", "Do=EB =80", "Doë €"),
        ("SHIFT_JIS", "=88=C0=93=A1", "安藤"),
        ("UTF-8", "M=C3=BCller", "Müller"),
    ],
)
def test_quoted_printable_bytes_are_decoded_with_the_declared_charset(
    charset: str, encoded: str, expected: str
) -> None:
    line = f"FN;CHARSET={charset};ENCODING=QUOTED-PRINTABLE:{encoded}"
    assert parse(card(line, version="2.1")).contacts[0].full_name == expected


def test_raw_8bit_values_use_their_declared_charset_per_property() -> None:
    raw = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=windows-1252:Do\xeb;John\r\n"
        b"FN;CHARSET=SHIFT_JIS:\x88\xc0\x93\xa1\r\nNOTE:caf\xc3\xa9\r\nEND:VCARD\r\n"
    )
    [contact] = parse(raw).contacts
    assert (contact.full_name, contact.family_name, contact.note) == ("安藤", "Doë", "café")


def test_undeclared_8bit_text_falls_back_to_cp1252_when_it_is_not_utf8() -> None:
    raw = b"BEGIN:VCARD\nVERSION:3.0\nFN:G\xfcnther Bl\xfcmchen\nORG:Spa\xdf GmbH\nEND:VCARD\n"
    [contact] = parse(raw).contacts
    assert contact.full_name == "Günther Blümchen"
    assert contact.organization == "Spaß GmbH"


def test_a_soft_break_before_a_blank_line_ends_the_value_without_swallowing_the_card() -> None:
    result = parse(
        card(
            "FN:Henry",
            "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91=C3=91=",
            "",
            "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91=",
            "=80",
            "EMAIL:henry@company.com",
            "TEL:55556666",
            version="2.1",
        )
    )
    [contact] = result.contacts
    assert contact.organization == "ÑÑ"
    assert contact.emails == ["henry@company.com"]
    assert contact.phones == ["55556666"]


def test_a_soft_break_right_before_end_vcard_does_not_hide_the_end() -> None:
    text = card("FN:Ann", "NOTE;ENCODING=QUOTED-PRINTABLE:abc=", version="2.1") + card("FN:Bob")
    result = parse(text)
    assert [c.full_name for c in result.contacts] == ["Ann", "Bob"]
    assert result.contacts[0].note == "abc"


def test_lowercase_bare_quoted_printable_parameter_is_honoured() -> None:
    text = card("fn:two", "note;quoted-printable:unicode text=E2=80=A6", version="2.1", end="\n")
    assert parse(text.lower()).contacts[0].note == "unicode text…"


@pytest.mark.parametrize("end", ["\r\n", "\n", "\r", "\r\r\n"])
def test_every_line_ending_reads_the_same_card(end: str) -> None:
    text = card("FN:Bob Smith", "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=", " AAAA", end=end)
    result = parse(text)
    [contact] = result.contacts
    assert contact.full_name == "Bob Smith"
    assert contact.line == 1
    assert all("PHOTO" in i.message for i in result.issues), messages(result)


def test_unindented_base64_photo_lines_of_2_1_stay_in_the_photo_until_the_blank_line() -> None:
    result = parse(
        card(
            "FN:Ando",
            "PHOTO;ENCODING=BASE64:iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
            "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
            "",
            "BDAY:1975-08-20",
            version="2.1",
        )
    )
    [contact] = result.contacts
    assert contact.birthday == "1975-08-20"
    assert contact.photo is not None and contact.photo.startswith(b"\x89PNG")
    assert result.issues == []


def test_a_2_1_value_continued_with_trailing_backslashes_is_one_property_without_an_issue() -> None:
    result = parse(
        card(
            "N:bogus",
            "ADR;HOME:;;Hermann v. Brevern\\",
            "9999999\\",
            "Packstation 999;Hamburg;;99999;Deutschland",
            "BDAY;VALUE=DATE:20081203",
            version="2.1",
        )
    )
    [contact] = result.contacts
    assert (contact.full_name, contact.birthday) == ("bogus", "2008-12-03")
    assert result.issues == []


def test_an_unfolded_continuation_line_is_joined_to_the_property_above_and_reported() -> None:
    result = parse(card("FN:Ann", "NOTE:first line", "second line", "TEL:212-555-0100"))
    [contact] = result.contacts
    assert contact.note == "first line\nsecond line"
    assert contact.phones == ["+12125550100"]
    [issue] = result.issues
    assert issue.line == 5 and "not folded" in issue.message


def test_a_name_whose_colon_is_folded_onto_the_next_line_is_still_a_property() -> None:
    result = parse(card("FN:Ann", "TEL;TYPE=", " CELL:212-555-0100", "EMAIL", " :ann@example.org"))
    [contact] = result.contacts
    assert contact.phones == ["+12125550100"]
    assert contact.emails == ["ann@example.org"]
    assert result.issues == []


def test_nested_cards_are_read_separately_and_the_parent_keeps_its_own_properties() -> None:
    text = "\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:2.1",
            "N:parent",
            "BEGIN:VCARD",
            "N:nest1",
            "END:VCARD",
            "TEL:1",
            "END:VCARD",
        ]
    )
    result = parse(text)
    parent, nested = result.contacts
    assert (parent.full_name, parent.phones, parent.line) == ("parent", ["1"], 1)
    assert (nested.full_name, nested.phones, nested.line) == ("nest1", [], 4)
    [issue] = result.issues
    assert issue.line == 4 and "inside the card that starts at line 1" in issue.message


def test_a_card_missing_its_end_before_the_next_begin_keeps_both_cards() -> None:
    text = "BEGIN:VCARD\nFN:Ann\nEMAIL:ann@example.org\n" + card("FN:Bob", end="\n")
    result = parse(text)
    assert [(c.full_name, c.line) for c in result.contacts] == [("Ann", 1), ("Bob", 4)]
    assert {i.line for i in result.issues} == {1, 4}
    assert any("no END:VCARD" in i.message for i in result.issues)


def test_a_card_cut_off_at_the_end_of_the_file_is_kept_and_reported() -> None:
    result = parse("BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nTEL:212-555-0100")
    [contact] = result.contacts
    assert contact.phones == ["+12125550100"]
    [issue] = result.issues
    assert issue.line == 1 and "no END:VCARD" in issue.message


def test_a_card_without_begin_is_recovered_with_an_issue() -> None:
    result = parse("VERSION:3.0\nFN:Ann\nEMAIL:ann@example.org\nEND:VCARD\n" + card("FN:Bob"))
    assert [c.full_name for c in result.contacts] == ["Ann", "Bob"]
    [issue] = result.issues
    assert issue.line == 1 and "no BEGIN:VCARD" in issue.message


def test_text_outside_cards_is_reported_once_and_a_stray_end_is_reported() -> None:
    text = "Hello Ann,\nhere is my card.\n\n" + card("FN:Bob", end="\n") + "END:VCARD\n"
    result = parse(text)
    assert [c.full_name for c in result.contacts] == ["Bob"]
    assert [
        (i.line, "outside" in i.message or "without a BEGIN" in i.message) for i in result.issues
    ] == [
        (1, True),
        (8, True),
    ]


def test_whitespace_after_end_mixed_case_markers_and_trailing_spaces_are_fine() -> None:
    text = "begin:vCard \nVERSION:3.0\nFN:Dirk\nEnd:VCARD \n\n \t  \t \n"
    result = parse(text)
    assert [c.full_name for c in result.contacts] == ["Dirk"]
    assert result.issues == []


def test_version_at_the_end_of_the_card_still_decides_the_escaping_rules() -> None:
    v21 = "BEGIN:VCARD\nFN:A\\;B\\\\C\nVERSION:2.1\nEND:VCARD\n"
    v30 = "BEGIN:VCARD\nFN:A\\;B\\\\C\nVERSION:3.0\nEND:VCARD\n"
    assert parse(v21).contacts[0].full_name == "A\\;B\\\\C"
    assert parse(v30).contacts[0].full_name == "A;B\\C"
    assert parse(v21).format == "vcard-2.1"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_utf16_utf32_and_bom_exports_are_read(encoding: str) -> None:
    raw = card("FN:Zoë Ångström", "EMAIL:zoe@example.org").encode(encoding)
    if encoding == "utf-16-le":
        raw = codecs.BOM_UTF16_LE + raw
    [contact] = parse(raw).contacts
    assert contact.full_name == "Zoë Ångström"


def test_prepare_turns_every_line_ending_into_lf_and_drops_a_utf8_bom() -> None:
    assert prepare(b"\xef\xbb\xbfA\r\r\nB\r\nC\rD\n") == b"A\nB\nC\nD\n"


# The fast path and the line machine must agree on any input: random files from quirky lines.
_LINES = st.sampled_from(
    [
        "BEGIN:VCARD",
        "END:VCARD",
        "end:vcard ",
        "VERSION:2.1",
        "VERSION:3.0",
        "FN:Ann Example",
        "fn:Bob",
        "N:Doe;John;;;",
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=",
        "=C3=BC",
        "item1.EMAIL;type=INTERNET:ann@example.org",
        'EMAIL;INTERNET:"Omega"',
        "  <omega@example.com>",
        "TEL;CELL:+1 212 555 0100",
        "TEL;TYPE=",
        " CELL:555-0101",
        "EMAIL",
        " :x@example.org",
        "NOTE:line one\\nline two\\, ok",
        "NOTE;ENCODING=QUOTED-PRINTABLE:soft=",
        "break",
        "PHOTO;ENCODING=BASE64:iVBORw0KGgo=",
        "AAAA/BBB",
        " CCCC",
        " X:1",
        "9999999\\",
        "Packstation 999;Hamburg",
        "just some text",
        "Thanks",
        "",
        " ",
        "\t",
        "ORG:Acme;Sales",
        "BDAY:--0203",
        'N;SORT-AS="a:b;c":X;Y',
        "X-ABLabel:_$!<Other>!$_",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=30), st.booleans())
def test_fast_path_and_line_machine_read_every_file_the_same(lines: list[str], wrap: bool) -> None:
    if wrap:
        lines = ["BEGIN:VCARD", *lines, "END:VCARD"]
    raw = "\n".join(lines).encode("utf-8")
    try:
        fast: ParseResult | None = parse_vcards(raw, region="US")
    except Exception as exc:  # UnreadableFile: both must agree on it too
        fast = None
        fast_error = type(exc)

    def irregular(data: bytes, issues: list[object]) -> object:
        raise IrregularLayout

    try:
        with patch("pipeline.formats.vcard.parse.iter_regular", irregular):
            slow = parse_vcards(raw, region="US")
    except Exception as exc:
        assert fast is None and type(exc) is fast_error
        return
    assert fast is not None
    assert fast.contacts == slow.contacts
    assert fast.format == slow.format
    assert sorted((i.line, i.message) for i in fast.issues) == sorted(
        (i.line, i.message) for i in slow.issues
    )


def test_line_machine_orders_nested_cards_by_their_begin_line() -> None:
    data = prepare(b"BEGIN:VCARD\nN:a\nBEGIN:VCARD\nN:b\nEND:VCARD\nEND:VCARD\n")
    cards, _ = split_cards_by_line(data)
    assert [c.line for c in cards] == [1, 3]
