"""Delimited text to records: physical lines, quoting recovery, delimiter and header discovery."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

# Excel writes `;` in locales whose decimal mark is a comma; "Unicode Text" exports use tabs.
DELIMITERS = (",", ";", "\t", "|")
# Records searched for the header: LinkedIn puts a `Notes:` preamble of three lines before it.
HEADER_SCAN = 25
# Width asked of fit_width for a header row: the reading with the most cells is the header.
_MOST = 1_000_000


@dataclass(frozen=True, slots=True)
class Record:
    """One record as parsed, with the physical lines it came from."""

    line: int  # 1-based physical line where the record starts
    end: int  # 0-based index of the first line after the record
    cells: list[str]
    raw: str  # the record's text, line endings included
    problem: str | None = None  # set when the quoting was broken and the line was read leniently


@dataclass(frozen=True, slots=True)
class Header:
    """Where the header row is, how the file is delimited and which format it looks like."""

    delimiter: str
    line: int
    end: int
    keys: list[str]
    format: str


def physical_lines(text: str) -> list[str]:
    """Lines split at CRLF, LF or CR only; str.splitlines would also split at U+2028, VT and FF."""
    return io.StringIO(text, newline="").readlines()


def header_key(cell: str) -> str:
    """A column name as compared: BOM and outer quotes dropped, whitespace collapsed, casefolded."""
    return " ".join(cell.replace("\ufeff", "").split()).strip("\"'").strip().casefold()


def parse_line(text: str, delimiter: str) -> list[str]:
    """The first record of `text`, read leniently (a stray quote is kept as a character).

    A cell beyond csv's field size limit (128 KiB) falls back to a plain split.
    """
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return text.rstrip("\r\n").split(delimiter)


def read_records(lines: Sequence[str], delimiter: str, start: int = 0) -> Iterator[Record]:
    """Every record from line index `start` on; blank lines come out as records with no cells.

    Parsing is strict so that broken quoting is noticed where it starts (an unclosed quote would
    otherwise swallow every following row into one cell): the offending line is then read on its
    own, leniently, flagged with a problem, and strict parsing resumes on the next line.
    """
    pos = start
    while pos < len(lines):
        reader = csv.reader(itertools.islice(lines, pos, None), delimiter=delimiter, strict=True)
        done = 0
        try:
            for cells in reader:
                first, end = pos + done, pos + reader.line_num
                yield Record(first + 1, end, cells, "".join(lines[first:end]))
                done = reader.line_num
            return
        except csv.Error as exc:
            bad = pos + done
            problem = f"broken quoting ({exc}); the line was read on its own"
            yield Record(bad + 1, bad + 1, parse_line(lines[bad], delimiter), lines[bad], problem)
            pos = bad + 1


def _lone_cell(cells: list[str]) -> str | None:
    """The only filled cell, or None (stops at the second filled cell: rows are wide)."""
    lone = None
    for cell in cells:
        if cell.strip():
            if lone is not None:
                return None
            lone = cell
    return lone


def fit_width(record: Record, delimiter: str, width: int) -> list[str]:
    """The record's cells, recovering a row that was wrapped whole in one pair of quotes.

    LinkedIn exports of 2020-21 quote some entire lines, so a 7-column row arrives as one cell
    (inner quotes doubled) or as broken quoting (inner quotes not doubled). The reading whose
    cell count is nearest the header's wins; the record as parsed wins ties.
    """
    cells = record.cells
    lone = _lone_cell(cells)
    if width < 2 or not (record.problem or (lone is not None and delimiter in lone)):
        return cells
    candidates = [cells]
    if lone is not None:
        candidates.append(parse_line(lone, delimiter))
    text = record.raw.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        candidates += [
            parse_line(inner, delimiter),
            parse_line(inner.replace('""', '"'), delimiter),
        ]
    return min(candidates, key=lambda c: abs(len(c) - width))


def find_header(
    lines: Sequence[str], recognise: Callable[[list[str]], str | None]
) -> Header | None:
    """The first recognised header row for each delimiter; the one with most columns wins."""
    best: Header | None = None
    for delimiter in DELIMITERS:
        for record in itertools.islice(read_records(lines, delimiter), HEADER_SCAN):
            cells = fit_width(record, delimiter, width=_MOST)
            keys = [header_key(cell) for cell in cells]
            found = recognise(keys)
            if found:
                if best is None or len(keys) > len(best.keys):
                    best = Header(delimiter, record.line, record.end, keys, found)
                break
    return best
