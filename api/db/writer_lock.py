"""The lock on a pool's SQLite writer (api/db/sqlite_pool.py): an asyncio lock that a short
transaction may take at once, ahead of the queue, whenever no one holds it.

Why not `asyncio.Lock`: its release hands the lock to the first waiter by waking it, and the
woken task runs only on a later turn of the event loop; until then every newcomer queues behind
it. So once a few writers queue, each of them costs one turn of the loop, and on a busy server
(a turn is every other ready request first, ~5 ms under the load test) the queue never drains:
the load test's writes waited ~40 turns, ~200 ms, for a lock that was free most of that time.

A short transaction runs from BEGIN to COMMIT on the loop's thread without giving the loop a
turn (api/db/sqlite_inline.py), so it can take a free lock and give it back before any waiter
runs: `take_now`. A woken waiter checks that the lock is still free when it runs, and waits
again, in its place, when a short transaction that had to wait for another process (and so
does give the loop turns) still holds it.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from typing import Any


class WriterLock:
    """Waiters are served in the order they came. A release wakes every waiter, not just the
    first: the first (in order) takes the lock, and if it is a short transaction it gives it
    back in the same turn, so the next one gets it in that turn too. A queue of short writes
    drains in one turn of the loop, not one turn each; a waiter that finds the lock held waits
    again in its place."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []  # by ticket
        self._tickets = itertools.count()
        self._pending = 0  # waiters not yet returned, woken or not

    def locked(self) -> bool:
        return self._held

    def take_now(self) -> bool:
        """Take the lock if no one holds it, even with others waiting: for a holder that gives
        it back before the loop's next turn (or else as any holder would)."""
        if self._held:
            return False
        self._held = True
        return True

    async def acquire(self) -> bool:
        if not self._held and not self._pending:
            self._held = True
            return True
        loop = asyncio.get_running_loop()
        ticket = next(self._tickets)
        self._pending += 1
        try:
            while True:
                fut: asyncio.Future[None] = loop.create_future()
                bisect.insort(self._waiting, (ticket, fut))  # tickets are unique: never ties
                try:
                    await fut
                except asyncio.CancelledError:
                    if (ticket, fut) in self._waiting:
                        self._waiting.remove((ticket, fut))
                    raise  # woken and cancelled: every other waiter was woken too
                if not self._held:
                    self._held = True
                    return True
        finally:
            self._pending -= 1

    def release(self) -> None:
        if not self._held:
            raise RuntimeError("WriterLock released while not held")
        self._held = False
        waiting, self._waiting = self._waiting, []
        for _, fut in waiting:
            if not fut.done():
                fut.set_result(None)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: Any) -> None:
        self.release()
