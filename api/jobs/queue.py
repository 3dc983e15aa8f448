"""The job queue on PostgreSQL (Procrastinate): the tasks, the periodic tick, the worker.

- `kith.nightly_user(user_id)`: one user's nightly run. Deferred with the queueing lock
  `nightly:<id>` (at most one waiting per user) and the lock `user:<id>` (at most one running
  per user, whichever worker takes it). A failed run raises, so Procrastinate retries it with
  backoff; its NightlyRun already says why.
- `kith.nightly_tick`: periodic (Procrastinate defers each cron slot once, whatever the number
  of workers). It retries jobs whose worker stopped sending heartbeats (SIGKILL, lost machine),
  closes runs past their deadline, and enqueues every user who is due.
- `kith.run_source(user_id, source_id, run_id)`: a source's "run now", into its queued ImportRun;
  the queueing lock `run:<source id>` (one waiting per source) and the user's lock `user:<id>`.
- `kith.import_upload(user_id, run_id, filename, fmt)`: a large upload stored under the data
  folder, imported into its queued ImportRun; the user's lock.
Both job bodies (api/services/background.py) take their run over, so a job retried after its
worker died (the tick retries stalled jobs of every task) finishes the same run.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING, Any

from api.clock import Clock
from api.db import queue as queue_db
from api.db import queue_url
from api.jobs.background import AlreadyQueued, source_queueing_lock, user_lock
from api.services import background, nightly
from api.settings import Settings

if TYPE_CHECKING:
    from procrastinate import App, JobContext

log = logging.getLogger("kith.jobs")

NIGHTLY_TASK = "kith.nightly_user"
RUN_SOURCE_TASK = "kith.run_source"
UPLOAD_TASK = "kith.import_upload"
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


def build_app(settings: Settings, clock: Clock, *, periodic: bool = True) -> App:
    """The Procrastinate app with Kith's tasks; its own small psycopg pool (see pyproject).
    `periodic` False: a worker that defers no tick (tests run the queued jobs, nothing else)."""
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

    retry = RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=EXPONENTIAL_WAIT)

    @app.task(name=RUN_SOURCE_TASK, pass_context=False, retry=retry)
    async def run_source(user_id: int, source_id: int, run_id: int) -> str | None:
        report = await background.source_run_job(user_id, source_id, run_id, clock(), settings)
        return None if report is None else report.status

    @app.task(name=UPLOAD_TASK, pass_context=False, retry=retry)
    async def import_upload(user_id: int, run_id: int, filename: str, fmt: str) -> str | None:
        report = await background.upload_job(user_id, run_id, filename, fmt, clock(), settings)
        return None if report is None else report.status

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
                    lock=user_lock(user_id), queueing_lock=f"nightly:{user_id}"
                ).defer_async(user_id=user_id)
                queued += 1
            except AlreadyEnqueued:
                pass
        return queued

    tick = app.task(name=TICK_TASK, queueing_lock=TICK_TASK, pass_context=False)(nightly_tick)
    if periodic:
        app.periodic(cron=tick_cron(settings.nightly_tick_seconds))(tick)
    return app


async def enqueue_user(app: App, user_id: int, *, force: bool = False) -> int | None:
    """Queue one user's run (None when one is already waiting)."""
    from procrastinate.exceptions import AlreadyEnqueued

    task = app.tasks[NIGHTLY_TASK]
    try:
        return await task.configure(
            lock=user_lock(user_id), queueing_lock=f"nightly:{user_id}"
        ).defer_async(user_id=user_id, force=force)
    except AlreadyEnqueued:
        return None


async def run_worker(
    settings: Settings,
    clock: Clock,
    concurrency: int,
    *,
    signals: bool,
    periodic: bool = True,
    wait: bool = True,
) -> None:
    """A worker until stopped: takes jobs, sends heartbeats, and defers the periodic tick.
    `signals` False when embedded in `kith serve` (uvicorn owns SIGINT/SIGTERM). `wait` False:
    stop once the queue is empty (tests)."""
    from api.services.nightly import close_interrupted

    await close_interrupted(clock())
    app = build_app(settings, clock, periodic=periodic)
    async with app.open_async():
        await app.run_worker_async(
            concurrency=concurrency, install_signal_handlers=signals, wait=wait
        )


class QueueJobs:
    """ "Run now" and large uploads deferred to the queue from `kith serve`: any worker takes
    them. Each deferral opens the queue's connection for itself: they are rare (a click, a
    large file) and the app then holds no second pool it would have to close."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    async def _defer(
        self, task: str, queueing_lock: str | None, user_id: int, **kwargs: Any
    ) -> None:
        from procrastinate.exceptions import AlreadyEnqueued

        app = build_app(self.settings, self.clock, periodic=False)
        async with app.open_async():
            try:
                await (
                    app.tasks[task]
                    .configure(lock=user_lock(user_id), queueing_lock=queueing_lock)
                    .defer_async(user_id=user_id, **kwargs)
                )
            except AlreadyEnqueued:
                raise AlreadyQueued(queueing_lock) from None

    async def run_source(self, user_id: int, source_id: int, run_id: int) -> None:
        await self._defer(
            RUN_SOURCE_TASK,
            source_queueing_lock(source_id),
            user_id=user_id,
            source_id=source_id,
            run_id=run_id,
        )

    async def import_upload(self, user_id: int, run_id: int, filename: str, fmt: str) -> None:
        await self._defer(
            UPLOAD_TASK, None, user_id=user_id, run_id=run_id, filename=filename, fmt=fmt
        )

    async def close(self) -> None:
        return None
