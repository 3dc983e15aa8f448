"""Prepared SQL for the hot read paths (session + user, Today, the contacts list, strength, feed).

Why not Piccolo here: building one Piccolo query costs ~160 us of Python (querystring bundling,
column lookups) and, on SQLite, a hop to aiosqlite's thread another ~65 us, against ~8 us for
the statement itself; a signed-in page runs several. So the hot reads are written once as SQL
with `?` placeholders (rewritten to asyncpg's `$n` for PostgreSQL, once per statement) and rows
come back as tuples, in the SELECT's column order.

On SQLite a read outside a transaction runs on the event loop's thread, on a connection of the
pool kept for that (`PooledSQLiteEngine.inline_reader`): in WAL mode a reader takes no lock a
writer holds (https://sqlite.org/wal.html, "readers do not block writers and a writer does not
block readers"), so an indexed read of a few rows returns in microseconds and never waits for a
write. Only short, indexed statements belong here; a scan of a whole book belongs in the
regular engine path, which runs in a thread. Inside a transaction the statement runs on the
transaction's own connection, so it sees the transaction's writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from api.db import engine, query_count
from api.db.sqlite_pool import PooledSQLiteEngine

Row = Sequence[Any]


@lru_cache(maxsize=256)
def _postgres(sql: str) -> str:
    """`?` -> `$1`, `$2`, ... (the statements here have no `?` inside string literals)."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


async def fetch(sql: str, args: Sequence[Any] = ()) -> list[Row]:
    """Every row of one SELECT, as tuples (column order of the statement)."""
    eng = engine()
    tx = eng.current_transaction.get()
    if eng.engine_type == "postgres":
        pg_sql = _postgres(sql)
        query_count.record(pg_sql)
        if tx is not None:
            return list(await tx.connection.fetch(pg_sql, *args))
        pool = getattr(eng, "pool", None)
        if pool is None:
            conn = await eng.get_new_connection()  # type: ignore[attr-defined]
            try:
                return list(await conn.fetch(pg_sql, *args))
            finally:
                await conn.close()
        async with pool.acquire() as conn:
            return list(await conn.fetch(pg_sql, *args))
    assert isinstance(eng, PooledSQLiteEngine)
    query_count.record(sql)
    if tx is not None:
        cursor = await tx.connection.execute(sql, args)
        try:
            cursor.row_factory = None  # tuples, not the engine's dicts
            return list(await cursor.fetchall())
        finally:
            await cursor.close()
    return eng.inline_reader().execute(sql, args).fetchall()


async def fetch_one(sql: str, args: Sequence[Any] = ()) -> Row | None:
    rows = await fetch(sql, args)
    return rows[0] if rows else None
