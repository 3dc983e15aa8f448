"""parse_vcards as the importer calls it: format, unreadable files, robustness, the benchmark data."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline.formats.vcard.fields as vcard_fields
from bench.vcard_gen import generate_vcards
from pipeline.formats.dispatch import parse_export
from pipeline.formats.vcard.birthday import parse_birthday
from pipeline.formats.vcard.parse import parse_vcards
from pipeline.models import ParseResult, UnreadableFile


def card(version: str, name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:{version}\r\nFN:{name}\r\nEND:VCARD\r\n"


@pytest.mark.parametrize(
    "raw",
    [b"", b"  \r\n", b"First Name,Last Name\nAnn,Example\n", b"VERSION:3.0\nFN:no end\n"],
)
def test_a_file_with_no_vcard_at_all_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableFile):
        parse_vcards(raw, region="US")


def test_the_format_is_the_version_most_cards_have_and_the_first_on_a_tie() -> None:
    three = card("2.1", "a") + card("4.0", "b") + card("4.0", "c")
    assert parse_vcards(three.encode(), region=None).format == "vcard-4.0"
    assert parse_vcards((card("2.1", "a") + card("3.0", "b")).encode(), region=None).format == (
        "vcard-2.1"
    )
    assert parse_vcards(b"BEGIN:VCARD\nFN:a\nEND:VCARD\n", region=None).format == "vcard-3.0"


def test_the_importer_detects_and_dispatches_vcards() -> None:
    result = parse_export(card("3.0", "Ann").encode(), region="US")
    assert result.format == "vcard-3.0"
    assert [c.full_name for c in result.contacts] == ["Ann"]


def test_records_carry_the_line_of_their_begin() -> None:
    text = "\n" + card("3.0", "a") + "\n\n" + card("3.0", "b")
    result = parse_vcards(text.encode(), region=None)
    assert [c.line for c in result.contacts] == [2, 8]


def test_a_card_that_breaks_the_reader_is_one_issue_and_the_rest_still_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(value: str, params: str = "") -> tuple[str | None, str | None]:
        if value == "boom":
            raise ValueError("unexpected")
        return parse_birthday(value, params)

    monkeypatch.setattr(vcard_fields, "parse_birthday", explode)
    text = card("3.0", "a") + "BEGIN:VCARD\nFN:b\nBDAY:boom\nEND:VCARD\n" + card("3.0", "c")
    result = parse_vcards(text.encode(), region=None)
    assert [c.full_name for c in result.contacts] == ["a", "c"]
    [issue] = result.issues
    assert issue.line == 5 and "could not be read (unexpected)" in issue.message


_PIECES = st.sampled_from(
    [
        b"BEGIN:VCARD\r\n",
        b"END:VCARD\r\n",
        b"VERSION:2.1\r\n",
        b"FN:Ann\r\n",
        b"N:;;\\;\r\n",
        b"NOTE;ENCODING=QUOTED-PRINTABLE:=\r\n",
        b"FN;CHARSET=x-unknown;ENCODING=QUOTED-PRINTABLE:=FF=\r\n",
        b"PHOTO;ENCODING=b:////\r\n",
        b"PHOTO:data:image/png;base64,!!\r\n",
        b"BDAY:--9999\r\n",
        b"TEL:tel:;ext=\r\n",
        b"EMAIL:<>@\r\n",
        b" \xff\xfe\r\n",
        b"\x00\x01",
        b"\r\r",
        b'N;SORT-AS="unterminated:',
        b":\r\n",
        b";;;\r\n",
        b"KIND:group\r\n",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=25), st.binary(max_size=20))
def test_any_input_gives_a_result_or_unreadable_file_never_another_error(
    pieces: list[bytes], noise: bytes
) -> None:
    raw = b"".join(pieces) + noise
    try:
        result = parse_vcards(raw, region="US")
    except UnreadableFile:
        return
    assert isinstance(result, ParseResult)
    assert all(issue.line >= 1 for issue in result.issues)


def test_the_benchmark_generator_is_deterministic_and_every_card_imports() -> None:
    data = generate_vcards(300, seed=7)
    assert data == generate_vcards(300, seed=7)
    assert data != generate_vcards(300, seed=8)
    result = parse_vcards(data, region="US")
    assert len(result.contacts) == 300
    assert result.format == "vcard-3.0"
    assert result.issues == []
    assert all(c.full_name and c.emails and c.phones and c.source_uid for c in result.contacts)
    photos = sum(c.photo is not None for c in result.contacts)
    assert 3 <= photos <= 30  # about 5%
    assert any(c.birthday and c.birthday.startswith("--") for c in result.contacts)
    assert max(len(line) for line in data.split(b"\r\n")) <= 75  # RFC 6350 3.2 folding
