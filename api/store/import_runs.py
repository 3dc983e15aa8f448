"""Import runs: one row per file imported (or source skipped), with its counts and issues."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
) -> int:
    """A new "running" row; `nightly_run`: the nightly attempt running this source."""
    return await _insert_run(
        user_id, import_source_id, source, filename, now, "running", nightly_run=nightly_run
    )


async def _insert_run(
    user_id: int,
    import_source_id: int | None,
    source: str,
    filename: str,
    now: dt.datetime,
    status: str,
    *,
    fmt: str | None = None,
    nightly_run: int | None = None,
) -> int:
    row = (
        await ImportRun.insert(
            ImportRun(
                user=user_id,
                import_source=import_source_id,
                source=fit(ImportRun.source, source),
                filename=fit(ImportRun.filename, filename),
                format=fmt,
                status=status,
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
) -> ImportReportOut:
    """A source run that imported nothing (skipped or failed before any file was read)."""
    row = (
        await ImportRun.insert(
            ImportRun(
                user=user_id,
                import_source=source_id,
                source=label,
                filename=label,
                status=status,
                started_at=now,
                finished_at=now,
                counts=dump({}),
                error=error,
                nightly_run=nightly_run,
            )
        )
        .returning(ImportRun.id)
        .run()
    )
    return await get_run(int(row[0]["id"]))


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


# Background imports (api/services/background.py): the run exists from the moment the work is
# queued, so the client has an id to poll; the job takes it over, a retry takes it over again.
QUEUED = "queued"


async def queue_run(
    user_id: int,
    import_source_id: int | None,
    source: str,
    filename: str,
    now: dt.datetime,
    fmt: str | None = None,
) -> int:
    """`fmt`: an upload's requested format until the import says which it was."""
    return await _insert_run(user_id, import_source_id, source, filename, now, QUEUED, fmt=fmt)


async def claim_run(
    run_id: int, source: str, filename: str, now: dt.datetime, *, nightly_run: int | None = None
) -> None:
    """A queued (or, on a retry, running) run starts now, under the name of what it reads.
    `nightly_run`: a nightly attempt taking over the row a dead attempt left unfinished (running,
    or already closed as interrupted), so the source keeps one row for the night."""
    claimable = [QUEUED, "running"]
    changes: dict[Any, Any] = {
        ImportRun.status: "running",
        ImportRun.source: fit(ImportRun.source, source),
        ImportRun.filename: fit(ImportRun.filename, filename),
        ImportRun.started_at: now,
    }
    if nightly_run is not None:
        claimable.append("interrupted")
        changes |= {
            ImportRun.nightly_run: nightly_run,
            ImportRun.finished_at: None,
            ImportRun.error: None,
        }
    await (
        ImportRun.update(changes)
        .where((ImportRun.id == run_id) & ImportRun.status.is_in(claimable))
        .run()
    )


async def queued_for_source(
    user_id: int, source_id: int, since: dt.datetime
) -> ImportReportOut | None:
    """The newest run of this source still waiting for its job (queued at or after `since`)."""
    row = (
        await ImportRun.select()
        .where(
            (ImportRun.user == user_id)
            & (ImportRun.import_source == source_id)
            & (ImportRun.status == QUEUED)
            & (ImportRun.started_at >= since)
        )
        .order_by(ImportRun.id, ascending=False)
        .first()
        .run()
    )
    return None if row is None else _report(row)


async def delete_run(run_id: int) -> None:
    await ImportRun.delete().where(ImportRun.id == run_id).run()


@dataclass(frozen=True)
class Unfinished:
    id: int
    user_id: int
    source_id: int | None
    source: str
    format: str | None
    status: str


async def unfinished_runs() -> list[Unfinished]:
    """Runs queued or running, oldest first (an in-process queue resumes them at start-up)."""
    rows = (
        await ImportRun.select(
            ImportRun.id,
            ImportRun.user,
            ImportRun.import_source,
            ImportRun.source,
            ImportRun.format,
            ImportRun.status,
        )
        .where(ImportRun.status.is_in([QUEUED, "running"]))
        .order_by(ImportRun.id)
        .run()
    )
    return [
        Unfinished(
            id=int(r["id"]),
            user_id=int(r["user"]),
            source_id=None if r["import_source"] is None else int(r["import_source"]),
            source=str(r["source"]),
            format=r["format"],
            status=str(r["status"]),
        )
        for r in rows
    ]
