"""Checkpoints of the WAL that the inline writer fills, run off the event loop's thread.

Why: in WAL mode, the COMMIT that takes the WAL past `wal_autocheckpoint` pages (1,000 by
default) runs a checkpoint itself, inside that COMMIT: it copies the WAL's pages into the
database file and syncs the file (SQLite's "Write-Ahead Logging", section "Automatic
Checkpoint"). The inline writer (api/db/sqlite_inline.py) commits on the event loop's thread,
so about every hundredth logged interaction stopped the whole server for that copy and sync
(a native profile under the load test showed pauses of about 10 ms there). It was not the
only source of the load test's long tail: the p99 stayed several times the p90 without it.

So the inline writer runs with `wal_autocheckpoint=0`, and after every CHECKPOINT_EVERY of its
commits this module runs `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own in a
worker thread, one at a time (sqlite3 releases the GIL while SQLite works). PASSIVE never waits
for a reader or a writer: it copies what no reader still needs, and the next one copies the rest.
The other connections keep SQLite's automatic checkpoints (their commits are in worker threads
already), and SQLite still checkpoints when the last connection to the file closes.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

# Commits of the inline writer between two checkpoints: a logged interaction writes about ten
# pages, so the WAL stays near SQLite's own 1,000-page threshold at most.
CHECKPOINT_EVERY = 50
log = logging.getLogger("kith")


class Checkpointer:
    """Counts the inline writer's commits and checkpoints in a worker thread every so often."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self._kwargs = {k: v for k, v in connection_kwargs.items() if k != "detect_types"}
        self._kwargs["check_same_thread"] = False  # used by one worker thread at a time
        self._commits = 0
        self._conn: sqlite3.Connection | None = None
        self._running: asyncio.Future[None] | None = None

    def committed(self) -> None:
        """After a commit of the inline writer, on the event loop's thread."""
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY:
            return
        if self._running is not None and not self._running.done():
            return  # one at a time; the next commit asks again
        self._commits = 0
        self._running = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(**self._kwargs)
                self._conn.execute("PRAGMA busy_timeout=0")
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # busy, or the file went away: the next one tries again
            log.debug("WAL checkpoint skipped: %s", exc)

    async def close(self) -> None:
        if self._running is not None:
            await self._running
        self.close_now()

    def close_now(self) -> None:
        """Close the connection unless a checkpoint still uses it (its loop is gone: the
        connection then closes when the thread lets go of it)."""
        if self._conn is not None and (self._running is None or self._running.done()):
            self._conn.close()
            self._conn = None
