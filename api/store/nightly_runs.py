"""Nightly runs: one row per user per run of the nightly job, with its outcome and error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.db.tables import ImportRun, NightlyRun, User
from api.jsonutil import dump

INTERRUPTED = "interrupted: the process running it stopped before it finished"
# A run still "running" this long after it started has lost its process (a whole night of one
# user takes seconds to minutes, an upload less): it is closed as interrupted.
DEADLINE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class NightlyRow:
    id: int
    user_id: int
    started_at: dt.datetime
    status: str
    error: str | None
    job_id: int | None
    attempt: int


def _row(r: dict[str, object]) -> NightlyRow:
    return NightlyRow(
        id=int(r["id"]),  # type: ignore[call-overload]
        user_id=int(r["user"]),  # type: ignore[call-overload]
        started_at=r["started_at"],  # type: ignore[arg-type]
        status=str(r["status"]),
        error=r["error"],  # type: ignore[arg-type]
        job_id=r["job_id"],  # type: ignore[arg-type]
        attempt=int(r["attempt"]),  # type: ignore[call-overload]
    )


async def start_nightly(
    user_id: int, now: dt.datetime, *, job_id: int | None = None, attempt: int = 0
) -> int:
    row = (
        await NightlyRun.insert(
            NightlyRun(user=user_id, started_at=now, job_id=job_id, attempt=attempt)
        )
        .returning(NightlyRun.id)
        .run()
    )
    return int(row[0]["id"])


async def finish_nightly(
    run_id: int,
    status: str,
    now: dt.datetime,
    detail: Mapping[str, object],
    error: str | None = None,
) -> None:
    await (
        NightlyRun.update(
            {
                NightlyRun.status: status,
                NightlyRun.finished_at: now,
                NightlyRun.detail: dump(dict(detail)),
                NightlyRun.error: error,
            }
        )
        .where(NightlyRun.id == run_id)
        .run()
    )


async def nightly_ok_between(user_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    """Whether a run of this user that started in [start, end) succeeded: a failed, interrupted
    or still running one does not count, nor one dated outside the day (a clock that jumped)."""
    return bool(
        await NightlyRun.exists()
        .where(
            (NightlyRun.user == user_id)
            & (NightlyRun.status == "ok")
            & (NightlyRun.started_at >= start)
            & (NightlyRun.started_at < end)
        )
        .run()
    )


async def nightly_failed_between(user_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """How many runs of this user that started in [start, end) failed (interrupted included)."""
    return int(
        await NightlyRun.count()
        .where(
            (NightlyRun.user == user_id)
            & (NightlyRun.status == "failed")
            & (NightlyRun.started_at >= start)
            & (NightlyRun.started_at < end)
        )
        .run()
    )


async def failed_ids_between(user_id: int, start: dt.datetime, end: dt.datetime) -> list[int]:
    """This user's runs that started in [start, end) and failed (interrupted included): the
    earlier attempts of tonight whose finished sources a retry does not run again."""
    rows = (
        await NightlyRun.select(NightlyRun.id)
        .where(
            (NightlyRun.user == user_id)
            & (NightlyRun.status == "failed")
            & (NightlyRun.started_at >= start)
            & (NightlyRun.started_at < end)
        )
        .run()
    )
    return [int(r["id"]) for r in rows]


async def close_import_runs_of(run_ids: list[int], now: dt.datetime) -> int:
    """ImportRuns these (dead) nightly attempts left "running" and no retry took over (a source
    deleted since, a forced run): interrupted, with the reason. Returns how many."""
    if not run_ids:
        return 0
    left = (ImportRun.status == "running") & ImportRun.nightly_run.is_in(run_ids)
    return await _interrupt_import_runs(left, now)


async def _interrupt_import_runs(where: Any, now: dt.datetime) -> int:
    """Mark the ImportRuns `where` selects "interrupted" with the reason, in one statement;
    returns how many."""
    rows = await (
        ImportRun.update(
            {
                ImportRun.status: "interrupted",
                ImportRun.finished_at: now,
                ImportRun.error: INTERRUPTED,
            }
        )
        .where(where)
        .returning(ImportRun.id)
        .run()
    )
    return len(rows)


async def runs_since(since: dt.datetime) -> list[NightlyRow]:
    """Every user's runs that started at or after `since` (the tick reads them in one query)."""
    rows = await NightlyRun.select().where(NightlyRun.started_at >= since).run()
    return [_row(r) for r in rows]


async def nightly_user_ids() -> list[int]:
    """Every account, for the nightly tick to consider."""
    return [int(r["id"]) for r in await User.select(User.id).order_by(User.id).run()]


async def running_nightly(user_id: int | None = None) -> list[NightlyRow]:
    mine = (NightlyRun.user == user_id) if user_id is not None else (NightlyRun.id > 0)
    rows = await NightlyRun.select().where(mine & (NightlyRun.status == "running")).run()
    return [_row(r) for r in rows]


async def mark_interrupted(run_ids: list[int], now: dt.datetime) -> None:
    """Close runs whose process is gone: failed, with the reason, so the next tick retries."""
    if not run_ids:
        return
    await (
        NightlyRun.update(
            {
                NightlyRun.status: "failed",
                NightlyRun.finished_at: now,
                NightlyRun.error: INTERRUPTED,
            }
        )
        .where(NightlyRun.id.is_in(run_ids) & (NightlyRun.status == "running"))
        .run()
    )


async def close_stale_import_runs(
    before: dt.datetime,
    now: dt.datetime,
    user_id: int | None = None,
    *,
    since: dt.datetime | None = None,
    sources_only: bool = False,
) -> int:
    """ImportRuns still "running" that started before `before` (and at or after `since`): their
    process died, or it would have finished them. They become "interrupted", with the reason.
    `sources_only` leaves uploads alone. Returns how many."""
    stale = (ImportRun.status == "running") & (ImportRun.started_at <= before)
    if user_id is not None:
        stale &= ImportRun.user == user_id
    if since is not None:
        stale &= ImportRun.started_at >= since
    if sources_only:
        stale &= ImportRun.import_source.is_not_null()
    return await _interrupt_import_runs(stale, now)


async def latest_nightly(user_id: int | None, now: dt.datetime) -> NightlyRow | None:
    """The newest run that started by `now` (one dated in the future is a clock that jumped, not
    a run to trust): of one user, or of any user when None."""
    mine = (NightlyRun.user == user_id) if user_id is not None else (NightlyRun.id > 0)
    row = (
        await NightlyRun.select()
        .where(mine & (NightlyRun.started_at <= now))
        .order_by(NightlyRun.started_at, ascending=False)
        .order_by(NightlyRun.id, ascending=False)
        .first()
        .run()
    )
    return None if row is None else _row(row)


async def future_nightly(user_id: int | None, now: dt.datetime) -> int:
    """How many runs are dated after `now` (a `--today` in the future, or a clock that jumped)."""
    mine = (NightlyRun.user == user_id) if user_id is not None else (NightlyRun.id > 0)
    return int(await NightlyRun.count().where(mine & (NightlyRun.started_at > now)).run())


async def failed_nightly_since(user_id: int | None, since: dt.datetime) -> list[NightlyRow]:
    """Runs (of one user, or of anyone) that failed after `since`, interrupted ones included."""
    mine = (NightlyRun.user == user_id) if user_id is not None else (NightlyRun.id > 0)
    rows = (
        await NightlyRun.select()
        .where(mine & (NightlyRun.status == "failed") & (NightlyRun.started_at > since))
        .order_by(NightlyRun.id)
        .run()
    )
    return [_row(r) for r in rows]
