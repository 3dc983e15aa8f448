"""`kith import FILE...`: into an account, or `--dry-run` (parse only, no database)."""

from __future__ import annotations

import argparse
import json
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli.common import (
    UserError,
    account,
    clock_for,
    load_settings,
    open_file,
    read_file,
    run_db,
)
from pipeline.formats.dispatch import FORMAT_CHOICES, parse_export
from pipeline.formats.stream import CHUNK_BYTES
from pipeline.models import ParseResult, UnreadableFile

if TYPE_CHECKING:
    from api.cli.common import Subparsers
    from api.services.imports import ImportReport

Progress = Callable[[str, int, int], None]


def register(sub: Subparsers) -> None:
    imp = sub.add_parser("import", help="import contact or calendar exports")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--user", metavar="EMAIL")
    imp.add_argument("--format", default="auto", choices=FORMAT_CHOICES)
    imp.add_argument("--region", metavar="CC")
    imp.add_argument("--dry-run", action="store_true")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    if args.dry_run:
        return dry_run(args)
    from api.services.imports import import_file

    raws = [(path, _chunks(path)) for path in args.files]

    async def work() -> list[ImportReport]:
        user = await account(args.user)
        now = clock_for(None)()
        reports = []
        while raws:
            path = raws[0][0]
            # Read by the import in chunks: a large vCard export is never all in memory.
            reports.append(
                await import_file(
                    user,
                    raws.pop(0)[1],
                    filename=path,
                    now=now,
                    fmt=args.format,
                    region=args.region,
                    progress=_progress(),
                )
            )
        return reports

    reports = run_db(load_settings(), work)
    if args.json:
        # The document carries each run's status and error; the exit code stays 0 (as before).
        from api.services.imports import report_json

        doc = {"imports": [report_json(r) for r in reports]}
        sys.stdout.write(json.dumps(doc, default=str, ensure_ascii=False) + "\n")
        return 0
    failed = False
    for report in reports:
        _print_report(report)
        if report.status != "ok":
            failed = True
            print(f"kith: {report.error}", file=sys.stderr)
    return 1 if failed else 0


def _chunks(path: str) -> bytes | Callable[[], Iterator[bytes]]:
    """A regular file read in chunks, from its start at each call (a missing or unreadable
    file fails now, before the database is opened); anything else (a named pipe, a device)
    can be read once only: its bytes."""
    try:
        regular = stat.S_ISREG(Path(path).stat().st_mode)
    except OSError:
        regular = False
    if not regular:
        return read_file(path)
    with open_file(path):
        pass

    def read() -> Iterator[bytes]:
        with open_file(path) as file:
            while chunk := file.read(CHUNK_BYTES):
                yield chunk

    return read


def _print_report(report: ImportReport) -> None:
    c = report.counts
    if report.status == "ok":
        print(
            f"{report.filename}: {report.format}: {c['new']} new, {c['updated']} updated, "
            f"{c['unchanged']} unchanged, {c['archived']} archived, {c['skipped']} skipped, "
            f"{c['interactions']} interactions, {len(report.issues)} issues"
        )
    for issue in report.issues:
        print(f"  {issue.file or report.filename}:{issue.line}: {issue.message}")


def dry_run(args: argparse.Namespace) -> int:
    """Parse only: no settings, no database (DESIGN.md section 7)."""
    files = []
    for path in args.files:
        try:
            result = parse_export(read_file(path), region=args.region, fmt=args.format)
        except UnreadableFile as exc:
            raise UserError(f"{path}: {exc}") from None
        files.append((path, result))
    if args.json:
        doc = {"files": [_result_json(p, r) for p, r in files]}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return 0
    for path, result in files:
        count = len(result.interactions if result.interactions is not None else result.contacts)
        print(f"{path}: {result.format}, {count} records, {len(result.issues)} issues")
        for issue in result.issues:
            print(f"  {path}:{issue.line}: {issue.message}")
    return 0


def _result_json(path: str, result: ParseResult) -> dict[str, object]:
    entry: dict[str, object] = {"path": path, "format": result.format}
    if result.interactions is not None:
        entry["interactions"] = [i.contract_dict() for i in result.interactions]
    else:
        entry["contacts"] = [c.contract_dict() for c in result.contacts]
    entry["issues"] = [{"line": i.line, "message": i.message} for i in result.issues]
    return entry


def _progress() -> Progress | None:
    """A progress line on stderr for large files, only when a person watches a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        if total == 0:  # a large file read in batches: its size in cards is known at its end
            sys.stderr.write(f"\r{stage} {done:,} cards")
            sys.stderr.flush()
            return
        width = 30
        filled = width * done // max(1, total)
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{stage} [{bar}] {done}/{total}{end}")
        sys.stderr.flush()

    return show
