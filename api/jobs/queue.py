"""The job queue on PostgreSQL (Procrastinate): the tasks, the periodic tick, the worker.

- `kith.nightly_user(user_id)`: one user's nightly run. Deferred with the queueing lock
  `nightly:<id>` (at most one waiting per user) and the lock `user:<id>` (at most one running
  per user, whichever worker takes it). A failed run raises, so Procrastinate retries it with
  backoff; its NightlyRun already says why.
- `kith.nightly_tick`: periodic (Procrastinate defers each cron slot once, whatever the number
  of workers). It retries jobs whose worker stopped sending heartbeats (SIGKILL, lost machine),
  closes runs past their deadline, and enqueues every user who is due.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING

from api.clock import Clock
from api.db import queue as queue_db
from api.db import queue_url
from api.services import nightly
from api.settings import Settings

if TYPE_CHECKING:
    from procrastinate import App, JobContext

log = logging.getLogger("kith.jobs")

NIGHTLY_TASK = "kith.nightly_user"
TICK_TASK = queue_db.TICK_TASK
# Backoff between attempts of a failed run: 5 s, 25 s, 125 s (Procrastinate's formula
# wait = exponential_wait ** (attempts + 1)); then the job is failed for the day.
MAX_ATTEMPTS = 3
EXPONENTIAL_WAIT = 5


class NightlyRunFailed(Exception):
    """A user's run failed (the reason is on its NightlyRun): Procrastinate retries the job."""


def tick_cron(seconds: int) -> str:
    """The cron line for a tick every `seconds` (a sixth column is seconds, for short ticks)."""
    if seconds < 60:
        return f"* * * * * */{seconds}"
    return f"*/{max(1, min(5, seconds // 60))} * * * *"


def build_app(settings: Settings, clock: Clock) -> App:
    """The Procrastinate app with Kith's tasks; its own small psycopg pool (see pyproject)."""
    from procrastinate import App, PsycopgConnector, RetryStrategy
    from procrastinate.exceptions import AlreadyEnqueued

    app = App(
        connector=PsycopgConnector(conninfo=queue_url(), min_size=1, max_size=4),
        worker_defaults={"name": f"{socket.gethostname()}:{os.getpid()}"},
    )

    @app.task(
        name=NIGHTLY_TASK,
        pass_context=True,
        retry=RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=EXPONENTIAL_WAIT),
    )
    async def nightly_user(context: JobContext, user_id: int, force: bool = False) -> str:
        job = context.job
        outcome = await nightly.nightly_job(
            user_id, clock(), settings, force=force, job_id=job.id, attempt=job.attempts
        )
        if outcome.status == "failed":
            raise NightlyRunFailed(outcome.error or "failed")
        return outcome.status

    @app.periodic(cron=tick_cron(settings.nightly_tick_seconds))
    @app.task(name=TICK_TASK, queueing_lock=TICK_TASK, pass_context=False)
    async def nightly_tick(timestamp: int) -> int:
        url = queue_url()
        for job in await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=queue_db.STALLED_AFTER_SECONDS
        ):
            if job.task_name == TICK_TASK or job.id is None:
                continue  # a tick that died is replaced by the next one
            log.warning("job %s (%s) lost its worker: retrying it", job.id, job.task_name)
            try:
                await app.job_manager.retry_job(job)
            except Exception:  # another tick retried it first
                log.info("job %s was already retried", job.id)
        busy = await queue_db.users_with_jobs(url, NIGHTLY_TASK)
        queued = 0
        for user_id in await nightly.due_user_ids(clock()):
            if user_id in busy:
                continue
            try:
                await nightly_user.configure(
                    lock=f"user:{user_id}", queueing_lock=f"nightly:{user_id}"
                ).defer_async(user_id=user_id)
                queued += 1
            except AlreadyEnqueued:
                pass
        return queued

    return app


async def enqueue_user(app: App, user_id: int, *, force: bool = False) -> int | None:
    """Queue one user's run (None when one is already waiting)."""
    from procrastinate.exceptions import AlreadyEnqueued

    task = app.tasks[NIGHTLY_TASK]
    try:
        return await task.configure(
            lock=f"user:{user_id}", queueing_lock=f"nightly:{user_id}"
        ).defer_async(user_id=user_id, force=force)
    except AlreadyEnqueued:
        return None


async def run_worker(settings: Settings, clock: Clock, concurrency: int, *, signals: bool) -> None:
    """A worker until stopped: takes jobs, sends heartbeats, and defers the periodic tick.
    `signals` False when embedded in `kith serve` (uvicorn owns SIGINT/SIGTERM)."""
    from api.services.nightly import close_interrupted

    await close_interrupted(clock())
    app = build_app(settings, clock)
    async with app.open_async():
        await app.run_worker_async(concurrency=concurrency, install_signal_handlers=signals)
