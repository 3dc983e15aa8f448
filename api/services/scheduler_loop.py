"""The nightly job inside `kith serve`: each user's import, rescore and reschedule at their hour."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from api.clock import Clock
from api.settings import Settings

log = logging.getLogger("kith.nightly")


class NightlyLoop:
    """Wakes every few minutes and runs the nightly job for users whose hour has come and who
    have no successful run today. Idempotent, so two processes doing it at once only repeat work."""

    def __init__(self, settings: Settings, clock: Clock, interval_seconds: float = 300) -> None:
        self.settings = settings
        self.clock = clock
        self.interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        from api.services.nightly import run_due_users

        while True:
            try:
                await run_due_users(self.settings, self.clock())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("nightly loop iteration failed")
            await asyncio.sleep(self.interval)
