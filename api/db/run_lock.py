"""One user's whole nightly run at a time, across every process (issue 16).

The import and rescoring transactions already take the user's transaction-scoped lock; a nightly
run is several of them (every source, then the rescoring), and a retry or `kith nightly` by hand
must not interleave with a worker still running the same user. On PostgreSQL a session-level
advisory lock, on a connection of its own, is held for the whole run: it is released when the
run ends or when its process dies (the server ends the session with the connection), so a lock
is never left behind by a SIGKILLed worker. The connection is not the pool's: a run holding a
pooled connection while its own queries wait for one could exhaust a small pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from api.db import engine, queue_url

# "KITN": the first key of the run locks; the second is the user id. Not USER_LOCK_SPACE: the
# run's own transactions take that one while this is held.
RUN_LOCK_SPACE = 0x4B49544E
# A machine lost without closing its connections (power, network) would keep its lock until the
# server's TCP keepalive gives up, two hours by default; these settings make the server probe the
# idle session and end it within about a minute, so the retry of its job can run.
_SESSION = {
    "application_name": "kith nightly run lock",
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}


@asynccontextmanager
async def user_run_lock(user_id: int) -> AsyncIterator[bool]:
    """Held for one user's nightly run; yields True when it excludes every other process's run
    of this user (PostgreSQL). On SQLite it yields False: `kith serve` runs the nightly jobs in
    one process, one user at a time, and every write transaction is serialised anyway."""
    if engine().engine_type != "postgres":
        yield False
        return
    import asyncpg

    conn = await asyncpg.connect(queue_url(), server_settings=_SESSION)
    try:
        await conn.execute("SELECT pg_advisory_lock($1, $2)", RUN_LOCK_SPACE, user_id)
        try:
            yield True
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", RUN_LOCK_SPACE, user_id)
    finally:
        await conn.close()
