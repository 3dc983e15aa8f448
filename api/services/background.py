"""Work that does not hold an HTTP request: a source's "run now" and a large upload.

The request creates the ImportRun ("queued") and hands its id to a job (api/jobs/: a
Procrastinate task on PostgreSQL, an in-process task on SQLite); the client polls
`GET /api/imports/{id}`. These are the job bodies. A job takes over its run, so a job retried
after its worker died finishes the same run (never a second one), and one that finds its run
already finished does nothing. An upload waits under the data folder, named after its run, until
its job ends, so a retried job still finds it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path, PurePath

from api.errors import NotFound
from api.services.import_stream import file_chunks
from api.services.imports import ImportReport, import_file
from api.services.sources import get_source, run_source
from api.services.users import UserInfo, get_user
from api.settings import Settings
from api.store import import_runs
from api.store.nightly_runs import DEADLINE

log = logging.getLogger("kith.jobs")

UNFINISHED = (import_runs.QUEUED, "running")


def upload_path(settings: Settings, run_id: int) -> Path:
    return settings.data_dir / "uploads" / f"import-{run_id}.upload"


async def queued_source_run(user_id: int, source_id: int, now: dt.datetime) -> ImportReport | None:
    """This source's run still waiting for its job, if any (one queued longer than the
    deadline is not waited for: its job was lost with an in-process queue)."""
    await get_source(user_id, source_id)  # NotFound for another user's source
    return await import_runs.queued_for_source(user_id, source_id, now - DEADLINE)


async def queue_source_run(user: UserInfo, source_id: int, now: dt.datetime) -> ImportReport:
    source = await get_source(user.id, source_id)
    label = source.label or source.location
    run_id = await import_runs.queue_run(user.id, source_id, label, label, now)
    return await import_runs.get_run(run_id)


async def queue_upload(
    user: UserInfo, raw: bytes, filename: str, fmt: str, now: dt.datetime, settings: Settings
) -> ImportReport:
    """The run, and the upload stored for its job (written whole, then renamed into place: a job
    never reads half a file)."""
    run_id = await import_runs.queue_run(
        user.id, None, filename, PurePath(filename).name, now, fmt=None if fmt == "auto" else fmt
    )
    path = upload_path(settings, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(raw)
    os.replace(partial, path)
    return await import_runs.get_run(run_id)


async def drop_run(run_id: int, settings: Settings | None = None) -> None:
    """A queued run whose job was never deferred (another one was already waiting)."""
    await import_runs.delete_run(run_id)
    if settings is not None:
        upload_path(settings, run_id).unlink(missing_ok=True)


async def _takeover(user_id: int, run_id: int) -> tuple[UserInfo, ImportReport] | None:
    """The user and the run when the run still waits for this job (None: nothing to do)."""
    try:
        user = await get_user(user_id)
    except NotFound:
        return None  # the account was deleted, its runs with it
    report = await import_runs.find_run(user_id, run_id)
    if report is None or report.status not in UNFINISHED:
        return None  # finished by an earlier attempt of this job
    return user, report


async def _fail(run_id: int, message: str, now: dt.datetime) -> ImportReport:
    return await import_runs.finish_run(
        run_id, status="failed", fmt=None, counts={}, issues=[], error=message, now=now
    )


async def source_run_job(
    user_id: int, source_id: int, run_id: int, now: dt.datetime, settings: Settings | None
) -> ImportReport | None:
    """A source's "run now": the same import the nightly job makes of it, into the queued run."""
    found = await _takeover(user_id, run_id)
    if found is None:
        return None
    user, _ = found
    roots = settings.folder_roots(user_id) if settings is not None else None
    try:
        return await run_source(user, source_id, now, roots, run_id=run_id)
    except NotFound:
        return await _fail(run_id, "the source was removed before it ran", now)
    except Exception as exc:  # the reason goes on the run; the client polling it sees it
        log.exception("run now of source %s failed", source_id)
        return await _fail(run_id, f"the run failed ({type(exc).__name__}: {exc})", now)


async def upload_job(
    user_id: int, run_id: int, filename: str, fmt: str, now: dt.datetime, settings: Settings
) -> ImportReport | None:
    """A large upload's import, from the stored file; the file is deleted once the run ended."""
    path = upload_path(settings, run_id)
    found = await _takeover(user_id, run_id)
    if found is None:
        path.unlink(missing_ok=True)
        return None
    user, _ = found
    if not path.is_file():
        return await _fail(run_id, f"{filename}: the uploaded file is gone; upload it again", now)
    try:
        # Read in chunks by the import: a large vCard upload is imported a batch at a time.
        report = await import_file(
            user, file_chunks(path), filename=filename, now=now, fmt=fmt, run_id=run_id
        )
    except Exception as exc:  # import_file reports its own failures; this is anything else
        log.exception("import of upload %s failed", run_id)
        report = await _fail(run_id, f"{filename}: the import failed ({type(exc).__name__})", now)
    path.unlink(missing_ok=True)
    return report


@dataclass(frozen=True)
class Resumable:
    """A job an in-process queue lost with its process (SQLite: `kith serve` stopped)."""

    run_id: int
    user_id: int
    source_id: int | None  # None: an upload
    filename: str
    fmt: str


async def lost_jobs(settings: Settings) -> list[Resumable]:
    """What to run again at start-up: every queued "run now"; every upload queued, or running
    when the process died, whose stored file is still there (only a queued upload has one)."""
    lost = []
    for run in await import_runs.unfinished_runs():
        if run.source_id is not None and run.status == import_runs.QUEUED:
            lost.append(Resumable(run.id, run.user_id, run.source_id, run.source, "auto"))
        elif run.source_id is None and upload_path(settings, run.id).exists():
            fmt = run.format or "auto"
            lost.append(Resumable(run.id, run.user_id, None, run.source, fmt))
    return lost
