"""What /health answers from: the process's last report, refreshed in the background.

A load balancer or uptime check polls /health often, and the report costs several queries
(migrations applied, the nightly runs). So a call answers at once from the report the process
already holds and, when that report is older than `max_age`, starts one refresh in the
background for the calls after it (stale-while-revalidate). Only the very first call waits for a
report. The report is the one `compute` builds; per-caller details stay outside this cache.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable

from api.schemas import HealthOut

Compute = Callable[[dt.datetime], Awaitable[HealthOut]]


class HealthState:
    def __init__(self, compute: Compute, max_age: float = 5.0) -> None:
        self._compute = compute
        self._max_age = max_age
        self._report: HealthOut | None = None
        self._at = 0.0  # time.monotonic() when the held report was built
        self._first = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def report(self, now: dt.datetime) -> HealthOut:
        if self._report is None:
            async with self._first:  # one first computation, however many callers wait
                if self._report is None:
                    await self._refresh(now)
        elif time.monotonic() - self._at > self._max_age and self._task is None:
            self._task = asyncio.create_task(self._background(now))
        assert self._report is not None
        return self._report

    async def _refresh(self, now: dt.datetime) -> None:
        report = await self._compute(now)
        self._report, self._at = report, time.monotonic()

    async def _background(self, now: dt.datetime) -> None:
        try:
            await self._refresh(now)
        finally:
            self._task = None

    async def close(self) -> None:
        """Wait for a refresh in flight (at shutdown, before the database closes)."""
        task = self._task
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
