"""The embedded default (SQLite, one process): `kith serve` runs the same task functions the
queue workers run, on the same tick, with the same per-user serialisation and records."""

from __future__ import annotations

import asyncio
import logging

from api.clock import Clock
from api.services import nightly
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

    async def run(self, user_id: int, *, force: bool = False) -> nightly.Outcome:
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            return await nightly.nightly_job(user_id, self.clock(), self.settings, force=force)
