"""Import runs: one row per file imported (or source skipped), with its counts and issues."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from api.db import fit
from api.db.tables import ImportRun
from api.jsonutil import dump, load_dict, load_list
from api.schemas import ImportReportOut, IssueOut


def _report(row: dict[str, Any]) -> ImportReportOut:
    return ImportReportOut(
        id=row["id"],
        filename=row["filename"],
        format=row["format"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        counts={k: int(v) for k, v in load_dict(row["counts"]).items()},
        issues=msgspec.convert(load_list(row["issues"]), list[IssueOut]),
        error=row["error"],
    )


async def start_run(
    user_id: int,
    import_source_id: int | None,
    source: str,
    filename: str,
    now: dt.datetime,
    *,
    nightly_run: int | None = None,
    take_over: int | None = None,
) -> int:
    """A new "running" row, or `take_over`: the unfinished row of a nightly attempt whose worker
    died, reopened for this attempt (`nightly_run`) so the source keeps one row for the night."""
    if take_over is not None:
        await (
            ImportRun.update(
                {
                    ImportRun.source: fit(ImportRun.source, source),
                    ImportRun.filename: fit(ImportRun.filename, filename),
                    ImportRun.status: "running",
                    ImportRun.nightly_run: nightly_run,
                    ImportRun.finished_at: None,
                    ImportRun.error: None,
                }
            )
            .where((ImportRun.id == take_over) & (ImportRun.user == user_id))
            .run()
        )
        return take_over
    row = (
        await ImportRun.insert(
            ImportRun(
                user=user_id,
                import_source=import_source_id,
                source=fit(ImportRun.source, source),
                filename=fit(ImportRun.filename, filename),
                status="running",
                started_at=now,
                nightly_run=nightly_run,
            )
        )
        .returning(ImportRun.id)
        .run()
    )
    return int(row[0]["id"])


async def finish_run(
    run_id: int,
    *,
    status: str,
    fmt: str | None,
    counts: Mapping[str, int],
    issues: Sequence[IssueOut],
    error: str | None,
    now: dt.datetime,
) -> ImportReportOut:
    await (
        ImportRun.update(
            {
                ImportRun.status: status,
                ImportRun.format: fmt,
                ImportRun.counts: dump(dict(counts)),
                ImportRun.issues: dump(
                    [{"file": i.file, "line": i.line, "message": i.message} for i in issues]
                ),
                ImportRun.error: error,
                ImportRun.finished_at: now,
            }
        )
        .where(ImportRun.id == run_id)
        .run()
    )
    return await get_run(run_id)


async def record_run(
    user_id: int,
    source_id: int,
    label: str,
    status: str,
    error: str | None,
    now: dt.datetime,
    *,
    nightly_run: int | None = None,
    take_over: int | None = None,
) -> ImportReportOut:
    """A source run that imported nothing (skipped or failed before any file was read)."""
    run_id = await start_run(
        user_id, source_id, label, label, now, nightly_run=nightly_run, take_over=take_over
    )
    return await finish_run(
        run_id, status=status, fmt=None, counts={}, issues=[], error=error, now=now
    )


async def latest_of_attempts(
    user_id: int, nightly_runs: Sequence[int]
) -> dict[int, tuple[int, str]]:
    """Per source, the newest row these nightly attempts left: (its id, its status)."""
    if not nightly_runs:
        return {}
    rows = (
        await ImportRun.select(ImportRun.id, ImportRun.import_source, ImportRun.status)
        .where(
            (ImportRun.user == user_id)
            & ImportRun.nightly_run.is_in(list(nightly_runs))
            & ImportRun.import_source.is_not_null()
        )
        .order_by(ImportRun.id)
        .run()
    )
    return {int(r["import_source"]): (int(r["id"]), str(r["status"])) for r in rows}


async def get_run(run_id: int) -> ImportReportOut:
    row = await ImportRun.select().where(ImportRun.id == run_id).first().run()
    assert row is not None
    return _report(row)


async def find_run(user_id: int, run_id: int) -> ImportReportOut | None:
    row = (
        await ImportRun.select()
        .where((ImportRun.id == run_id) & (ImportRun.user == user_id))
        .first()
        .run()
    )
    return None if row is None else _report(row)


async def list_runs(user_id: int, limit: int) -> list[ImportReportOut]:
    rows = (
        await ImportRun.select()
        .where(ImportRun.user == user_id)
        .order_by(ImportRun.id, ascending=False)
        .limit(limit)
        .run()
    )
    return [_report(r) for r in rows]
