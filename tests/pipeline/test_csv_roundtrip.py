"""Property: whatever a spreadsheet writes (quotes, newlines, delimiters in cells) reads back."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.formats.csv.parse import parse_csv
from pipeline.normalize import clean_text

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéøüßÅŠ'-", min_size=1, max_size=8)
_NAME = st.lists(_WORD.filter(lambda w: any(c.isalpha() for c in w)), min_size=1, max_size=3)
_EMAIL = st.builds(
    "{}@{}.{}".format,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+", min_size=1, max_size=10).filter(
        lambda s: s[0] not in "." and s[-1] not in "."
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
    st.sampled_from(["org", "com", "de"]),
)
_NOTE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from('\n\r\t",;| :::'),
    max_size=40,
)
_PEOPLE = st.lists(st.tuples(_NAME, _EMAIL, _NOTE), min_size=1, max_size=6)


@settings(max_examples=75, deadline=None)
@given(
    people=_PEOPLE,
    delimiter=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\r\n", "\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    quote_every_cell=st.booleans(),
)
def test_rows_written_by_a_csv_writer_read_back_with_their_lines(
    people: list[tuple[list[str], str, str]],
    delimiter: str,
    newline: str,
    encoding: str,
    quote_every_cell: bool,
) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    if quote_every_cell:
        writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_ALL)
    # Python 3.11's writer only quotes the line terminator's own characters; exporters (Excel,
    # Google, Outlook) quote every cell holding CR or LF, so such rows are written that way.
    quote_all = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(["First Name", "Last Name", "E-mail Address", "Notes"])
    starts = []
    line = 2
    for words, email, note in people:
        starts.append(line)
        row_writer = quote_all if re.search(r"[\r\n]", note) else writer
        row_writer.writerow([words[0], " ".join(words[1:]), email.upper(), note])
        # a quoted cell spans one physical line more per line break inside it
        line += 1 + len(re.findall(r"\r\n|\r|\n", note))
    result = parse_csv(out.getvalue().encode(encoding), region=None)
    assert result.issues == []
    assert [c.full_name for c in result.contacts] == [" ".join(w) for w, _, _ in people]
    assert [c.emails for c in result.contacts] == [[e.casefold()] for _, e, _ in people]
    assert [c.note for c in result.contacts] == [
        clean_text(re.sub(r"\r\n?", "\n", n)) for _, _, n in people
    ]
    assert [c.line for c in result.contacts] == starts
