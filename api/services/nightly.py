"""The nightly job per user: import every source, then rescore and reschedule. Idempotent.

These are the task bodies. On PostgreSQL Procrastinate runs them (api/jobs/), one job per user,
serialised per user by the job's lock; on SQLite `kith serve` runs the very same functions
in-process (api/jobs/inprocess.py). Every user's run is its own unit: whatever it raises is
recorded on its NightlyRun and never reaches another user.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from api.db.run_lock import user_run_lock
from api.errors import NotFound
from api.services import merges
from api.services.imports import COUNT_KEYS
from api.services.sources import list_sources, run_source
from api.services.strength import refresh_user, tz_of
from api.services.users import UserInfo, get_user, list_users
from api.settings import Settings
from api.store import import_runs
from api.store import nightly_runs as store

log = logging.getLogger("kith.nightly")

# Past this a "running" run is closed as interrupted and the user becomes due again.
RUN_DEADLINE = store.DEADLINE
# The periodic tick gives up on a user for the day after this many failed runs (each queued job
# already retries with backoff; an unreachable source should not be hammered all day).
MAX_FAILED_PER_DAY = 4


@dataclass
class Outcome:
    """What one user's nightly run did; `status` is ok, failed or skipped (already ran today)."""

    user_id: int
    status: str
    error: str | None = None
    sources: list[dict[str, object]] = field(default_factory=list)
    schedule: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "error": self.error,
            "sources": self.sources,
            "schedule": self.schedule,
        }


def local_day(user: UserInfo, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start of today, start of tomorrow) in the user's zone (a DST day is 23 or 25 hours)."""
    zone = tz_of(user)
    today = now.astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


async def ran_today(user: UserInfo, now: dt.datetime) -> bool:
    """Only a successful run dated inside today counts: a failed or interrupted one does not,
    nor one dated tomorrow or later (a `--today` in the future, a clock that jumped)."""
    start, end = local_day(user, now)
    return await store.nightly_ok_between(user.id, start, end)


def is_due_hour(user: UserInfo, now: dt.datetime) -> bool:
    return now.astimezone(tz_of(user)).hour >= user.nightly_hour


async def close_interrupted(now: dt.datetime, user_id: int | None = None) -> list[int]:
    """Close runs past the deadline (and ImportRuns left running as long) as interrupted;
    returns the users whose nightly run was closed, who are due again."""
    stale = [r for r in await store.running_nightly(user_id) if r.started_at < now - RUN_DEADLINE]
    await store.mark_interrupted([r.id for r in stale], now)
    await store.close_stale_import_runs(now - RUN_DEADLINE, now, user_id)
    for run in stale:
        log.warning("nightly run %s of user %s was interrupted", run.id, run.user_id)
    return sorted({r.user_id for r in stale})


async def close_dead_attempts(user_id: int, now: dt.datetime, *, exclusive: bool) -> list[int]:
    """Close the runs of this user whose process died; returns their ids. Called holding the
    user's run lock: when it is `exclusive` (PostgreSQL) no other run of this user can be alive,
    so every run still "running" lost its process; otherwise (a queue job on SQLite, tests) only
    queued runs are: the queue's own per-user lock keeps them one at a time. Their unfinished
    ImportRuns stay "running" for this run to take over (`_run`)."""
    dead = [r for r in await store.running_nightly(user_id) if exclusive or r.job_id is not None]
    await store.mark_interrupted([r.id for r in dead], now)
    return [r.id for r in dead]


async def nightly_job(
    user_id: int,
    now: dt.datetime,
    settings: Settings | None = None,
    *,
    force: bool = False,
    job_id: int | None = None,
    attempt: int = 0,
) -> Outcome:
    """One user's nightly run, holding the user's run lock (a worker's job, a retry of it and
    `kith nightly` by hand never interleave). Without `force` (the periodic tick) it does nothing
    when the user already ran successfully today, and a retry after a failed or dead attempt
    tonight does not run again the sources that attempt finished: an import's ImportRun is
    finished in the import's own transaction, so committed data always has its finished row, and
    the retry reuses it (0 new) or takes over the row the dead attempt left "running"; a source
    keeps exactly one ImportRun for the night."""
    async with user_run_lock(user_id) as exclusive:
        try:
            user = await get_user(user_id)
        except NotFound:
            return Outcome(user_id, "skipped", "the account no longer exists")
        dead: list[int] = []
        if job_id is not None or exclusive:
            dead = await close_dead_attempts(user_id, now, exclusive=exclusive)
        if not force and await ran_today(user, now):
            await store.close_import_runs_of(dead, now)
            return Outcome(user_id, "skipped")
        earlier: dict[int, tuple[int, str]] = {}
        if not force:
            start, end = local_day(user, now)
            attempts = await store.failed_ids_between(user_id, start, end)
            earlier = await import_runs.latest_of_attempts(user_id, attempts)
        run_id = await store.start_nightly(user_id, now, job_id=job_id, attempt=attempt)
        outcome = Outcome(user_id, "ok")
        try:
            await _run(user, now, settings, outcome, run_id, earlier)
        except Exception as exc:  # isolation: the reason goes on this user's run, nowhere else
            log.exception("nightly run of user %s failed", user_id)
            outcome.status = "failed"
            outcome.error = outcome.error or f"{type(exc).__name__}: {exc}"
        # What the dead attempts left running and this run did not take over (a forced run, a
        # source deleted since) is closed, never left "running".
        await store.close_import_runs_of(dead, now)
        detail = {"sources": outcome.sources, "schedule": outcome.schedule}
        await store.finish_nightly(run_id, outcome.status, now, detail, outcome.error)
        return outcome


# A source an earlier attempt tonight finished: the retry records it as run, with nothing new.
DONE = {"ok", "skipped"}
UNFINISHED = {"running", "interrupted"}


async def _run(
    user: UserInfo,
    now: dt.datetime,
    settings: Settings | None,
    out: Outcome,
    night: int,
    earlier: dict[int, tuple[int, str]],
) -> None:
    """A failing source fails the run loudly but the others still import and the rescoring
    still happens. `earlier`: per source, the row an earlier attempt tonight left."""
    roots = settings.folder_roots(user.id) if settings is not None else None
    for source in await list_sources(user.id):
        done_id, done_status = earlier.get(source.id, (None, ""))
        if done_id is not None and done_status in DONE:
            # Imported (or found unchanged) by an attempt whose worker died afterwards: its
            # data and its ImportRun are committed together, so nothing is imported again.
            out.sources.append(
                {
                    "source": source.id,
                    "status": done_status,
                    "error": None,
                    "counts": {k: 0 for k in COUNT_KEYS},
                    "import_run": done_id,
                    "note": "already imported tonight by an earlier attempt",
                }
            )
            continue
        take_over = done_id if done_status in UNFINISHED else None
        report = await run_source(user, source.id, now, roots, run_id=take_over, nightly_run=night)
        if report.status == "failed" and out.error is None:
            out.error = f"source {source.label or source.id}: {report.error}"
        out.sources.append(
            {
                "source": source.id,
                "status": report.status,
                "error": report.error,
                "counts": report.counts,
                "import_run": report.id,
            }
        )
    if out.error is not None:
        out.status = "failed"
    out.schedule = await refresh_user(user, now)
    out.schedule["merge_suggestions"] = await merges.refresh_suggestions(user.id, now)


async def run_user(
    user: UserInfo, now: dt.datetime, settings: Settings | None = None
) -> dict[str, Any]:
    """One forced run (`kith nightly`, tests): the outcome as a dict."""
    return (await nightly_job(user.id, now, settings, force=True)).as_dict()


async def due_user_ids(now: dt.datetime) -> list[int]:
    """Users whose local nightly hour has come today and who have no successful run today, no
    run in progress (runs past the deadline were closed first, so they are due again) and fewer
    than MAX_FAILED_PER_DAY failed runs today. Two queries, whatever the number of users."""
    await close_interrupted(now)
    runs: dict[int, list[store.NightlyRow]] = {}
    for run in await store.runs_since(now - dt.timedelta(days=2)):
        runs.setdefault(run.user_id, []).append(run)
    due = []
    for user in await list_users():
        if not is_due_hour(user, now):
            continue
        start, end = local_day(user, now)
        mine = runs.get(user.id, [])
        if any(r.status == "running" for r in mine):
            continue
        today = [r for r in mine if start <= r.started_at < end]
        if any(r.status == "ok" for r in today):
            continue
        if sum(r.status == "failed" for r in today) < MAX_FAILED_PER_DAY:
            due.append(user.id)
    return due
