"""`kith worker` (take jobs from the queue) and `kith jobs` (what is queued, running, failed)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
from typing import TYPE_CHECKING

from api.cli.common import UserError, load_settings, run_db
from api.clock import system_clock

if TYPE_CHECKING:
    from api.cli.common import Subparsers

STATES = {"queued": "todo", "running": "doing", "failed": "failed", "done": "succeeded"}
SQLITE = (
    "the job queue needs PostgreSQL (KITH_DATABASE_URL=postgresql://...); "
    "on SQLite `kith serve` runs the nightly job itself"
)


def register(sub: Subparsers) -> None:
    work = sub.add_parser("worker", help="run queued jobs (PostgreSQL): nightly runs, the tick")
    work.add_argument("--concurrency", type=int, default=1, metavar="N")
    work.set_defaults(handler=cmd_worker)
    jobs = sub.add_parser("jobs", help="list queued, running and failed jobs")
    jobs.add_argument("--all", action="store_true", help="finished jobs too")
    jobs.set_defaults(handler=cmd_jobs)


def cmd_worker(args: argparse.Namespace) -> int:
    from api.jobs.queue import run_worker

    settings = load_settings()
    if settings.engine != "postgres":
        raise UserError(SQLITE)
    if args.concurrency < 1:
        raise UserError("--concurrency must be 1 or more")
    print(f"kith worker: taking jobs from {settings.redacted_database_url()}", flush=True)
    # SIGINT/SIGTERM: Procrastinate finishes the jobs in hand, then stops; a normal end.
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        run_db(
            settings,
            lambda: run_worker(settings, system_clock, args.concurrency, signals=True),
        )
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from api import db
    from api.db import queue

    settings = load_settings()
    if settings.engine != "postgres":
        raise UserError(SQLITE)
    statuses = tuple(STATES.values()) if args.all else ("todo", "doing", "failed")

    async def work() -> tuple[list[queue.JobRow], queue.QueueState]:
        url = db.queue_url()
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        return await queue.list_jobs(url, statuses), await queue.queue_state(url, since)

    rows, state = run_db(settings, work)
    tick = state.last_tick.isoformat(timespec="seconds") if state.last_tick else "never"
    print(
        f"queued {state.queued}, running {state.running}, stalled {state.stalled}, "
        f"failed (last day) {state.failed}, retried (last day) {state.retried}; last tick {tick}"
    )
    names = {v: k for k, v in STATES.items()}
    for row in rows:
        user = row.args.get("user_id")
        status = "stalled" if row.stalled else names.get(row.status, row.status)
        retried = f"  retried {row.retries}x" if row.retries else ""
        who = f"  user {user}" if user is not None else ""
        print(f"{row.id}  {status:8}  {row.task}{who}{retried}")
    return 0
