"""The embedded default (SQLite, one process): `kith serve` runs the same task functions the
queue workers run, on the same tick, with the same per-user serialisation and records."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from api.clock import Clock
from api.jobs.background import AlreadyQueued, source_queueing_lock
from api.services import background, nightly
from api.settings import Settings

log = logging.getLogger("kith.nightly")


class InProcessRunner:
    """Every tick: close interrupted runs, then run each due user's nightly job, one user at a
    time (a user's lock is held for the whole run, as the queue's per-user lock is)."""

    def __init__(self, settings: Settings, clock: Clock, interval: float | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.interval = interval if interval is not None else settings.nightly_tick_seconds
        self._locks: dict[int, asyncio.Lock] = {}

    async def run_forever(self) -> None:
        """Until cancelled (the app's shutdown)."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the next tick tries again; the runs say what failed
                log.exception("nightly tick failed")
            await asyncio.sleep(self.interval)

    async def tick(self) -> list[nightly.Outcome]:
        outcomes = []
        for user_id in await nightly.due_user_ids(self.clock()):
            outcomes.append(await self.run(user_id))
        return outcomes

    def lock(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    async def run(self, user_id: int, *, force: bool = False) -> nightly.Outcome:
        async with self.lock(user_id):
            return await nightly.nightly_job(user_id, self.clock(), self.settings, force=force)


class InProcessJobs:
    """ "Run now" and large uploads as tasks of this process, under the runner's per-user locks
    (the nightly run's), with the queue's queueing lock: one waiting "run now" per source."""

    def __init__(self, runner: InProcessRunner) -> None:
        self.runner = runner
        self._waiting: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, user_id: int, key: str | None, body: Callable[[], Awaitable[object]]) -> None:
        if key is not None:
            if key in self._waiting:
                raise AlreadyQueued(key)
            self._waiting.add(key)

        async def job() -> None:
            started = False
            try:
                async with self.runner.lock(user_id):
                    started = True
                    if key is not None:
                        self._waiting.discard(key)  # running: a new "run now" may wait again
                    await body()
            except Exception:  # the job bodies record their failures; this is a bug's trace
                log.exception("background job of user %s failed", user_id)
            finally:
                if key is not None and not started:
                    self._waiting.discard(key)  # cancelled while waiting

        task = asyncio.create_task(job())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run_source(self, user_id: int, source_id: int, run_id: int) -> None:
        runner = self.runner
        self._spawn(
            user_id,
            source_queueing_lock(source_id),
            lambda: background.source_run_job(
                user_id, source_id, run_id, runner.clock(), runner.settings
            ),
        )

    async def import_upload(self, user_id: int, run_id: int, filename: str, fmt: str) -> None:
        runner = self.runner
        self._spawn(
            user_id,
            None,
            lambda: background.upload_job(
                user_id, run_id, filename, fmt, runner.clock(), runner.settings
            ),
        )

    async def resume(self) -> int:
        """At start-up: the jobs this queue lost when its process stopped, queued again (each
        takes its run over, as a retried queue job does). Returns how many."""
        lost = await background.lost_jobs(self.runner.settings)
        for job in lost:
            if job.source_id is not None:
                with contextlib.suppress(AlreadyQueued):
                    await self.run_source(job.user_id, job.source_id, job.run_id)
            else:
                await self.import_upload(job.user_id, job.run_id, job.filename, job.fmt)
        if lost:
            log.warning("resumed %s background imports a stopped process left", len(lost))
        return len(lost)

    async def idle(self) -> None:
        """Until every job started so far has ended (tests; a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
