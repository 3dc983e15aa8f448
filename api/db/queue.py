"""The job queue's tables (Procrastinate's schema, in Kith's own PostgreSQL database): applying
them with the migrations, and reading the queue's state for `kith jobs`, /health and /api/nightly.

Procrastinate talks to PostgreSQL through psycopg 3, not the asyncpg pool Piccolo uses; these
reads open one short psycopg connection each (they are rare: a health check, a command).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

# Any number: the session-level advisory lock that makes two processes migrating at once apply
# the schema once (the second waits, then finds the tables).
_SCHEMA_LOCK = 7_415_001
# Procrastinate's default: a worker that has not sent a heartbeat for this long is gone.
STALLED_AFTER_SECONDS = 30
TICK_TASK = "kith.nightly_tick"


@dataclass(frozen=True)
class JobRow:
    id: int
    task: str
    status: str
    lock: str | None
    args: dict[str, Any]
    retries: int  # attempts after the first
    scheduled_at: dt.datetime | None
    stalled: bool


@dataclass(frozen=True)
class QueueState:
    queued: int
    running: int
    failed: int
    stalled: int
    retried: int
    last_tick: dt.datetime | None


async def _connect(url: str) -> Any:
    import psycopg
    from psycopg.rows import dict_row

    return await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)


async def apply_schema(url: str) -> bool:
    """Create Procrastinate's tables and functions unless they exist; True when it did."""
    from procrastinate.schema import SchemaManager

    conn = await _connect(url)
    try:
        await conn.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK,))
        try:
            cur = await conn.execute("SELECT to_regclass('procrastinate_jobs') AS t")
            row = await cur.fetchone()
            if row is not None and row["t"] is not None:
                return False
            async with conn.transaction():
                await conn.execute(SchemaManager.get_schema())
            return True
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))
    finally:
        await conn.close()


# Procrastinate counts an attempt when it ends: a finished job's first attempt is 1.
_RETRIES = (
    "(j.attempts - CASE WHEN j.status IN ('succeeded', 'failed', 'aborted') THEN 1 ELSE 0 END)"
)

_STALLED = f"""
    j.status = 'doing' AND (w.id IS NULL
        OR w.last_heartbeat < now() - interval '{STALLED_AFTER_SECONDS} seconds')
"""


async def list_jobs(url: str, statuses: tuple[str, ...], limit: int = 200) -> list[JobRow]:
    """Jobs in these states (todo, doing, failed, succeeded...), newest first."""
    conn = await _connect(url)
    try:
        cur = await conn.execute(
            f"""
            SELECT j.id, j.task_name, j.status::text AS status, j.lock, j.args,
                   {_RETRIES} AS retries,
                   j.scheduled_at, ({_STALLED}) AS stalled
            FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
            WHERE j.status::text = ANY(%s)
            ORDER BY j.id DESC LIMIT %s
            """,
            (list(statuses), limit),
        )
        rows = await cur.fetchall()
    finally:
        await conn.close()
    return [
        JobRow(
            id=int(r["id"]),
            task=str(r["task_name"]),
            status=str(r["status"]),
            lock=r["lock"],
            args=dict(r["args"] or {}),
            retries=int(r["retries"]),
            scheduled_at=r["scheduled_at"],
            stalled=bool(r["stalled"]),
        )
        for r in rows
    ]


async def queue_state(url: str, since: dt.datetime) -> QueueState:
    """Counts of the queue now (failed and retried: jobs that ran since `since`) and the last
    periodic tick any worker deferred."""
    conn = await _connect(url)
    try:
        cur = await conn.execute(
            f"""
            SELECT
              count(*) FILTER (WHERE j.status = 'todo') AS queued,
              count(*) FILTER (WHERE j.status = 'doing') AS running,
              count(*) FILTER (WHERE {_STALLED}) AS stalled,
              (SELECT count(*) FROM procrastinate_jobs f WHERE f.status = 'failed'
                 AND EXISTS (SELECT 1 FROM procrastinate_events e
                             WHERE e.job_id = f.id AND e.at >= %(since)s)) AS failed,
              (SELECT count(*) FROM procrastinate_jobs j WHERE {_RETRIES} > 0
                 AND EXISTS (SELECT 1 FROM procrastinate_events e
                             WHERE e.job_id = j.id AND e.at >= %(since)s)) AS retried,
              (SELECT max(defer_timestamp) FROM procrastinate_periodic_defers
                 WHERE task_name = %(tick)s) AS last_tick
            FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
            WHERE j.status IN ('todo', 'doing')
            """,
            {"since": since, "tick": TICK_TASK},
        )
        row = await cur.fetchone()
    finally:
        await conn.close()
    assert row is not None
    tick = row["last_tick"]
    return QueueState(
        queued=int(row["queued"]),
        running=int(row["running"]),
        failed=int(row["failed"]),
        stalled=int(row["stalled"]),
        retried=int(row["retried"]),
        last_tick=None if tick is None else dt.datetime.fromtimestamp(int(tick), dt.UTC),
    )


async def users_with_jobs(url: str, task: str) -> set[int]:
    """Users with a job of `task` queued or running (the tick leaves them alone: a second job
    would wait on the first one's lock, and a retried stalled job would hit the queueing lock)."""
    conn = await _connect(url)
    try:
        cur = await conn.execute(
            "SELECT DISTINCT (args->>'user_id')::int AS u FROM procrastinate_jobs "
            "WHERE task_name = %s AND status IN ('todo', 'doing')",
            (task,),
        )
        rows = await cur.fetchall()
    finally:
        await conn.close()
    return {int(r["u"]) for r in rows if r["u"] is not None}
