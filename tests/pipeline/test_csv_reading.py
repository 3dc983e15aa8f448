"""Bytes to rows: encodings, line endings, delimiters, quoted cells and broken quoting."""

from __future__ import annotations

import codecs

import pytest

from pipeline.formats.csv.parse import parse_csv
from pipeline.formats.csv.reader import physical_lines, read_records

HEADER = "First Name,Last Name,E-mail Address,Mobile Phone,Notes"
ROW = "Jürgen,Müller,JUERGEN@Example.de,030 1234567,Grüße"


def _one(raw: bytes, region: str | None = "DE") -> tuple[str | None, list[str], str | None]:
    result = parse_csv(raw, region=region)
    assert result.issues == []
    [contact] = result.contacts
    return contact.full_name, contact.emails, contact.note


@pytest.mark.parametrize(
    "raw",
    [
        f"{HEADER}\n{ROW}\n".encode(),
        codecs.BOM_UTF8 + f"{HEADER}\n{ROW}\n".encode(),
        f"{HEADER}\r\n{ROW}\r\n".encode("utf-16"),  # with BOM
        codecs.BOM_UTF16_BE + f"{HEADER}\r\n{ROW}\r\n".encode("utf-16-be"),
        f"{HEADER}\r\n{ROW}\r\n".encode("utf-16-le"),  # no BOM
        f"{HEADER}\r\n{ROW}\r\n".encode("utf-16-be"),  # no BOM
        f"{HEADER}\r\n{ROW}\r\n".encode("cp1252"),
        f"{HEADER}\r{ROW}\r".encode(),  # classic Mac line endings
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16be-bom", "utf16le", "utf16be", "cp1252", "cr"],
)
def test_every_encoding_and_line_ending_reads_the_same_contact(raw: bytes) -> None:
    assert _one(raw) == ("Jürgen Müller", ["juergen@example.de"], "Grüße")


def test_a_short_cp1252_file_keeps_its_umlauts() -> None:
    # tech.md pitfall 14: charset guessing alone turns this into "Mﮰller"
    raw = "Name,Email\r\nMüller,m@example.de\r\n".encode("cp1252")
    assert _one(raw)[0] == "Müller"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_semicolon_tab_and_pipe_delimiters_are_sniffed(delimiter: str) -> None:
    text = f"{HEADER}\n{ROW}\n".replace(",", delimiter)
    assert _one(text.encode())[:2] == ("Jürgen Müller", ["juergen@example.de"])


def test_excel_semicolon_file_with_commas_inside_cells_is_split_at_semicolons() -> None:
    raw = b"Name;E-mail Address;Company\nAda Lovelace;ada@example.org;Engines, Ltd.\n"
    [contact] = parse_csv(raw, region=None).contacts
    assert (contact.full_name, contact.organization) == ("Ada Lovelace", "Engines, Ltd.")


def test_tab_separated_utf16_unicode_text_export_reads() -> None:
    # Excel's "Unicode Text": UTF-16 LE with BOM, tab separated
    raw = f"{HEADER}\r\n{ROW}\r\n".replace(",", "\t").encode("utf-16")
    assert _one(raw)[1] == ["juergen@example.de"]


def test_quoted_cells_keep_newlines_delimiters_and_doubled_quotes() -> None:
    raw = (
        b'Name,Email,Notes,Company\r\n"Ada ""Countess"" Lovelace",ada@example.org,"line one\r\n'
        b'line two, still notes",Engines\r\nBob,bob@example.org,,\r\n'
    )
    result = parse_csv(raw, region=None)
    ada, bob = result.contacts
    assert ada.full_name == 'Ada "Countess" Lovelace'
    assert ada.note == "line one\nline two, still notes"
    assert (ada.line, bob.line) == (2, 4)


def test_physical_lines_split_only_at_cr_and_lf() -> None:
    assert physical_lines("a\rb\r\nc\nd\u2028e\x0bf") == ["a\r", "b\r\n", "c\n", "d\u2028e\x0bf"]


def test_an_unclosed_quote_costs_one_row_not_the_rest_of_the_file() -> None:
    raw = b'Name,Email\nAda,"ada@example.org\nBob,bob@example.org\nCy,cy@example.org\n'
    result = parse_csv(raw, region=None)
    assert [c.full_name for c in result.contacts] == ["Ada", "Bob", "Cy"]
    assert [i.line for i in result.issues] == [2]
    assert "quoting" in result.issues[0].message


def test_a_stray_quote_inside_a_quoted_cell_is_reported_and_read_leniently() -> None:
    raw = b'Name,Email\n"Ada "the Countess" Lovelace",ada@example.org\nBob,bob@example.org\n'
    result = parse_csv(raw, region=None)
    assert [c.emails for c in result.contacts] == [["ada@example.org"], ["bob@example.org"]]
    assert [i.line for i in result.issues] == [2]


def test_records_report_the_line_they_start_on_and_blank_lines_as_empty() -> None:
    lines = physical_lines('a,b\n\n"x\ny",z\nlast,row\n')
    got = [(r.line, r.cells) for r in read_records(lines, ",")]
    assert got == [(1, ["a", "b"]), (2, []), (3, ["x\ny", "z"]), (5, ["last", "row"])]


def test_blank_rows_and_rows_of_empty_cells_are_skipped_silently() -> None:
    raw = b"Name,Email\n\n,,\n , \nAda,ada@example.org\n\n"
    result = parse_csv(raw, region=None)
    assert ([c.line for c in result.contacts], result.issues) == ([5], [])


def test_a_repeated_header_row_is_not_a_contact() -> None:
    raw = b"Name,Email\nAda,ada@example.org\nName,Email\nBob,bob@example.org\n"
    result = parse_csv(raw, region=None)
    assert ([c.full_name for c in result.contacts], result.issues) == (["Ada", "Bob"], [])


def test_values_beyond_the_header_are_ignored_with_an_issue_but_empty_ones_silently() -> None:
    raw = b"Name,Email\nAda,ada@example.org,\nBob,bob@example.org,surprise\n"
    result = parse_csv(raw, region=None)
    assert len(result.contacts) == 2
    assert [(i.line, i.message) for i in result.issues] == [
        (3, "1 value(s) beyond the header's 2 columns were ignored")
    ]


def test_short_rows_read_their_missing_cells_as_empty() -> None:
    raw = b"Name,Email,Mobile Phone,Notes\nAda,ada@example.org\n"
    [contact] = parse_csv(raw, region=None).contacts
    assert (contact.emails, contact.phones, contact.note) == (["ada@example.org"], [], None)


def test_excel_sep_directive_line_before_the_header_is_not_a_contact() -> None:
    raw = b"sep=;\r\nName;E-mail Address\r\nAda;ada@example.org\r\n"
    result = parse_csv(raw, region=None)
    assert ([(c.line, c.full_name) for c in result.contacts], result.issues) == ([(3, "Ada")], [])


def test_a_cell_beyond_the_csv_field_size_limit_costs_one_row_not_the_file() -> None:
    huge = "x" * 200_000
    raw = f'Name,Email,Notes\nAda,ada@example.org,"{huge}"\nBob,bob@example.org,\n'.encode()
    result = parse_csv(raw, region=None)
    assert [c.full_name for c in result.contacts] == ["Ada", "Bob"]
    assert [i.line for i in result.issues] == [2]
