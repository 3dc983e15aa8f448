"""Reading a vCard export in runs of whole cards gives the records and issues of reading it
whole, with the same line numbers, however the bytes arrive."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.formats.dispatch import parse_export
from pipeline.formats.stream import (
    BatchReader,
    chunks_of,
    cuttable,
    looks_vcard,
    split_pieces,
    vcard_format,
)


def _card(i: int, end: str = "\r\n", marker: str = "END:VCARD") -> str:
    return end.join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"UID:u{i}",
            f"FN:Person {i}",
            f"EMAIL:p{i}@example.com",
            "NOTE:a long note that is folded across",
            " two lines",
            marker,
            "",
        ]
    )


def _streamed(raw: bytes, cards: int, chunk: int) -> tuple[list[object], list[object], str]:
    versions: Counter[str] = Counter()
    records, issues = [], []
    reader = BatchReader("US")
    for piece in split_pieces(chunks_of(raw, chunk), cards):
        batch = reader.read(reader.cut(piece))
        records += batch.contacts
        issues += batch.issues
        versions.update(batch.versions_at.values())
    return records, issues, vcard_format(versions)


def test_a_file_of_at_most_one_batch_is_one_piece_exactly_the_file():
    raw = "".join(_card(i) for i in range(5)).encode() + b"\r\n\r\n"
    assert list(split_pieces(chunks_of(raw, 7), 5)) == [raw[:-4]]
    assert len(list(split_pieces(chunks_of(raw, 7), 4))) == 2


def test_pieces_are_runs_of_whole_cards_cut_after_an_end_line_in_any_case():
    raw = "".join(_card(i, marker="end : vcard  " if i % 2 else "END:VCARD") for i in range(7))
    pieces = list(split_pieces(chunks_of(raw.encode(), 5), 3))
    assert [p.count(b"BEGIN:VCARD") for p in pieces] == [3, 3, 1]
    assert b"".join(pieces) == raw.encode()


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(1, 12),
    cards=st.integers(1, 5),
    chunk=st.integers(1, 400),
    end=st.sampled_from(["\r\n", "\n", "\r\r\n"]),
    junk=st.booleans(),
)
def test_batches_read_like_the_whole_file(
    count: int, cards: int, chunk: int, end: str, junk: bool
) -> None:
    parts = [_card(i, end) for i in range(count)]
    if junk:  # a card with an issue and one with nothing to import, in the middle
        parts.insert(
            count // 2,
            end.join(["BEGIN:VCARD", "VERSION:3.0", "EMAIL:nope", "FN:X", "END:VCARD", ""]),
        )
        parts.insert(count // 2, end.join(["BEGIN:VCARD", "VERSION:3.0", "FOO;", "END:VCARD", ""]))
    raw = "".join(parts).encode()
    whole = parse_export(raw, region="US")
    records, issues, fmt = _streamed(raw, cards, chunk)
    assert records == whole.contacts
    assert sorted(issues, key=lambda i: i.line) == whole.issues  # type: ignore[attr-defined]
    assert fmt == whole.format


def test_only_vcard_files_in_an_ascii_compatible_encoding_are_cut():
    raw = _card(1).encode()
    assert looks_vcard(raw) and cuttable(raw)
    assert not cuttable(b"\xff\xfe" + _card(1).encode("utf-16-le"))
    assert not cuttable(_card(1).encode("utf-16-be"))
    assert cuttable(b"\xef\xbb\xbf" + raw)
    assert not looks_vcard(b"BEGIN:VCALENDAR\r\nBEGIN:VCARD\r\n")
    assert not looks_vcard(b"name,email\r\nAnn,ann@example.com\r\n")
