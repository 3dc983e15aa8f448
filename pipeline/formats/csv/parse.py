"""Contact CSVs (Google, Outlook, LinkedIn, Thunderbird, generic): detect the layout, read rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.formats.csv import columns as csv_columns
from pipeline.formats.csv import google as csv_google
from pipeline.formats.csv import linkedin as csv_linkedin
from pipeline.formats.csv.dates import guess_day_first
from pipeline.formats.csv.reader import (
    find_header,
    fit_width,
    header_key,
    physical_lines,
    read_records,
)
from pipeline.formats.csv.values import Context, Draft, Row, finish
from pipeline.formats.decode import decode_bytes
from pipeline.models import ImportIssue, ParseResult, UnreadableFile

CSV_FORMATS = ("google-csv", "outlook-csv", "linkedin-csv", "thunderbird-csv")

Mapper = Callable[[Row, int, Context], Draft]
_MAPPERS: dict[str, Mapper] = {
    "google-csv": csv_google.to_draft,
    "outlook-csv": csv_columns.to_draft,
    "thunderbird-csv": csv_columns.to_draft,
    "linkedin-csv": csv_linkedin.to_draft,
}
# Columns whose numeric dates tell the file's day/month order.
_DATE_WORDS = ("birthday", "anniversary", "connected on", "date")


def detect_format(keys: Sequence[str]) -> str | None:
    """The format a header row belongs to, or None when it is not a contact header.

    A generic CSV with name and email or phone columns reads as `outlook-csv`: Outlook's
    column names are the ones such files imitate, and its mapper goes by what names say.
    """
    if csv_linkedin.recognise(keys):
        return "linkedin-csv"
    if csv_columns.is_thunderbird(keys):
        return "thunderbird-csv"
    if csv_google.recognise(keys):
        return "google-csv"
    if csv_columns.recognise(keys):
        return "outlook-csv"
    return None


def _day_first(keys: list[str], rows: list[tuple[int, Row]], region: str | None) -> bool:
    date_keys = {key for key in keys if any(word in key for word in _DATE_WORDS)}
    values = (value for _, row in rows for key, value in row.cells if key in date_keys)
    return guess_day_first(values, region)


def parse_csv(raw: bytes, *, region: str | None, fmt: str = "auto") -> ParseResult:
    """Every contact of a CSV export; a bad row is an issue and the rest still imports.

    Raises UnreadableFile when no known contact header is found in the first rows.
    `fmt` forces a mapper ("google-csv", ...); the header must still be a contact header.
    """
    if fmt != "auto" and fmt not in _MAPPERS:
        raise UnreadableFile(f"{fmt!r} is not a CSV format ({', '.join(CSV_FORMATS)})")
    text, _ = decode_bytes(raw)
    lines = physical_lines(text)
    header = find_header(lines, detect_format)
    if header is None:
        raise UnreadableFile(
            "no contact CSV header found (columns such as First Name, E-mail Address, "
            "Given Name or Connected On)"
        )
    name = header.format if fmt == "auto" else fmt
    result = ParseResult(format=name)
    width = len(header.keys)
    rows: list[tuple[int, Row]] = []
    for record in read_records(lines, header.delimiter, header.end):
        cells = fit_width(record, header.delimiter, width)
        if not any(cell.strip() for cell in cells):
            continue  # blank lines and rows of empty cells
        if header_key(cells[0]) == header.keys[0] and [header_key(c) for c in cells] == header.keys:
            continue  # the header repeated (exports concatenated into one file)
        if record.problem:
            result.issues.append(ImportIssue(record.line, record.problem))
        extra = sum(1 for cell in cells[width:] if cell.strip())
        if extra:
            message = f"{extra} value(s) beyond the header's {width} columns were ignored"
            result.issues.append(ImportIssue(record.line, message))
        rows.append((record.line, Row(header.keys, cells)))
    ctx = Context(region=region, day_first=_day_first(header.keys, rows, region))
    mapper = _MAPPERS[name]
    for line, row in rows:
        _add_row(result, mapper, row, line, ctx)
    return result


def _add_row(result: ParseResult, mapper: Mapper, row: Row, line: int, ctx: Context) -> None:
    try:
        draft = mapper(row, line, ctx)
        skip = result.format == "linkedin-csv" and csv_linkedin.withheld(draft)
        record = None if skip else finish(draft, ctx.region)
    except Exception as exc:  # a row must never sink the file (DESIGN.md section 4)
        result.issues.append(ImportIssue(line, f"row could not be read ({exc!r}); skipped"))
        return
    result.issues += [ImportIssue(line, problem) for problem in draft.problems]
    if record is not None:
        result.contacts.append(record)
    elif result.format == "linkedin-csv":
        result.issues.append(ImportIssue(line, "LinkedIn withheld this connection's name; skipped"))
    else:
        result.issues.append(ImportIssue(line, "no name, organization, email or phone; skipped"))
