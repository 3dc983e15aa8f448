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

from api.errors import NotFound
from api.services import merges
from api.services.sources import list_sources, run_source
from api.services.strength import refresh_user, tz_of
from api.services.users import UserInfo, get_user
from api.settings import Settings
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


async def close_dead_attempts(user_id: int, now: dt.datetime) -> None:
    """Called by a queue job holding the user's lock: no other queued run of this user can be
    alive, so any queued run still "running" lost its worker (SIGKILL, machine gone)."""
    dead = [r for r in await store.running_nightly(user_id) if r.job_id is not None]
    await store.mark_interrupted([r.id for r in dead], now)
    if dead:
        # Its source imports died with it (an HTTP upload of the same user may be running now:
        # only source runs since the dead run started are closed).
        since = min(r.started_at for r in dead)
        await store.close_stale_import_runs(now, now, user_id, since=since, sources_only=True)


async def nightly_job(
    user_id: int,
    now: dt.datetime,
    settings: Settings | None = None,
    *,
    force: bool = False,
    job_id: int | None = None,
    attempt: int = 0,
) -> Outcome:
    """One user's nightly run. Without `force` (the periodic tick) it does nothing when the user
    already ran successfully today, so a job retried after its worker died once the run was
    recorded imports nothing twice; a retry that finds the import committed but unrecorded
    imports the same bytes again, which changes nothing (0 new: people match by UID)."""
    try:
        user = await get_user(user_id)
    except NotFound:
        return Outcome(user_id, "skipped", "the account no longer exists")
    if job_id is not None:
        await close_dead_attempts(user_id, now)
    if not force and await ran_today(user, now):
        return Outcome(user_id, "skipped")
    run_id = await store.start_nightly(user_id, now, job_id=job_id, attempt=attempt)
    outcome = Outcome(user_id, "ok")
    try:
        await _run(user, now, settings, outcome)
    except Exception as exc:  # isolation: the reason goes on this user's run, nowhere else
        log.exception("nightly run of user %s failed", user_id)
        outcome.status = "failed"
        outcome.error = outcome.error or f"{type(exc).__name__}: {exc}"
    detail = {"sources": outcome.sources, "schedule": outcome.schedule}
    await store.finish_nightly(run_id, outcome.status, now, detail, outcome.error)
    return outcome


async def _run(user: UserInfo, now: dt.datetime, settings: Settings | None, out: Outcome) -> None:
    """A failing source fails the run loudly but the others still import and the rescoring
    still happens."""
    roots = settings.folder_roots(user.id) if settings is not None else None
    for source in await list_sources(user.id):
        report = await run_source(user, source.id, now, roots)
        if report.status == "failed" and out.error is None:
            out.error = f"source {source.label or source.id}: {report.error}"
        out.sources.append(
            {
                "source": source.id,
                "status": report.status,
                "error": report.error,
                "counts": report.counts,
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
    """Users whose local nightly hour has come today and who have no successful run today and
    no run in progress (runs past the deadline were closed first, so they are due again)."""
    await close_interrupted(now)
    running = {r.user_id for r in await store.running_nightly()}
    due = []
    for user_id in await store.nightly_user_ids():
        if user_id in running:
            continue
        try:
            user = await get_user(user_id)
        except NotFound:
            continue
        if not is_due_hour(user, now) or await ran_today(user, now):
            continue
        start, end = local_day(user, now)
        if await store.nightly_failed_between(user_id, start, end) < MAX_FAILED_PER_DAY:
            due.append(user_id)
    return due


async def user_emails() -> dict[int, str]:
    from api.services.users import list_users

    return {u.id: u.email for u in await list_users()}
