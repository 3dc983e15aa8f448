"""Each card of a well-formed run has a span (its lines, its bytes, their digest), and a run read
with some cards blanked out gives the other cards exactly as reading it whole does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.formats.stream import BatchReader
from pipeline.formats.vcard.lexer import prepare
from pipeline.formats.vcard.spans import blank_out, card_spans

KEY = b"k" * 32


def _card(i: int, *, folded: bool = False, note: str | None = None) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:u{i}", f"FN:Person {i}", f"EMAIL:p{i}@example.com"]
    if folded:
        lines += ["NOTE:a long note that is folded across", " two lines"]
    if note:
        lines.append(f"NOTE:{note}")
    return "\r\n".join([*lines, "END:VCARD", ""])


def test_each_card_has_its_lines_and_bytes():
    data = prepare(("\r\n" + _card(0) + "\r\n\r\n" + _card(1, folded=True) + _card(2)).encode())
    spans = card_spans(data, KEY)
    assert spans is not None
    assert [(s.line, s.last) for s in spans] == [(2, 7), (10, 17), (18, 23)]
    for span in spans:
        body = data[span.start : span.end]
        assert body.startswith(b"BEGIN:VCARD\n") and body.endswith(b"END:VCARD\n")


def test_the_same_bytes_have_the_same_digest_and_another_parser_another_one():
    one = card_spans(prepare((_card(0) + _card(1)).encode()), KEY)
    moved = card_spans(prepare((_card(1) + "\r\n" + _card(0)).encode()), KEY)
    other = card_spans(prepare((_card(0) + _card(1)).encode()), b"o" * 32)
    assert one and moved and other
    assert {s.digest for s in one} == {s.digest for s in moved}
    assert one[0].digest != one[1].digest
    assert not {s.digest for s in one} & {s.digest for s in other}


def test_a_card_whose_bytes_are_not_utf8_has_no_digest():
    raw = _card(0).encode() + _card(1, note="Caf\xe9").encode("latin-1")
    spans = card_spans(prepare(raw), KEY)
    assert spans is not None
    assert [s.digest is None for s in spans] == [False, True]


def test_a_run_that_is_not_plain_cards_has_no_spans():
    nested = "BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nFN:B\nEND:VCARD\nEND:VCARD\n"
    assert card_spans(prepare(nested.encode()), KEY) is None
    assert card_spans(prepare(("text\n" + _card(0)).encode()), KEY) is None
    assert card_spans(prepare(_card(0).replace("END:VCARD", "").encode()), KEY) is None
    assert card_spans(b"", KEY) is None


@settings(max_examples=60)
@given(
    cards=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=8),
    skip=st.sets(st.integers(0, 7)),
)
def test_blanking_cards_out_leaves_the_others_read_as_in_the_whole_run(cards, skip):
    raw = "".join(
        _card(i, folded=folded) + ("\r\n" if gap else "") for i, (folded, gap) in enumerate(cards)
    ).encode()
    data = prepare(raw)
    spans = card_spans(data, KEY)
    assert spans is not None and len(spans) == len(cards)
    skip = {i for i in skip if i < len(cards)}
    blanked = blank_out(data, spans, skip)
    assert blanked.count(b"\n") == data.count(b"\n")
    whole = BatchReader("US", KEY)
    everything = whole.read(whole.cut(raw))
    part = BatchReader("US", KEY)
    some = part.read(part.cut(raw), skip)
    kept_lines = {spans[i].line for i in range(len(cards)) if i not in skip}
    assert [r for r in everything.contacts if r.line in kept_lines] == some.contacts
    assert set(some.raw) == kept_lines, "each card read is recognisable next time"
    assert {line: everything.raw[line] for line in kept_lines} == some.raw
