"""Prepared SQL for the hot read paths (session + user, Today, the contacts list, strength, feed).

Why not Piccolo here: building one Piccolo query costs ~160 us of Python (querystring bundling,
column lookups) and, on SQLite, a hop to aiosqlite's thread another ~65 us, against ~8 us for
the statement itself; a signed-in page runs several. So the hot reads are written once as SQL
with `?` placeholders (rewritten to asyncpg's `$n` for PostgreSQL, once per statement) and rows
come back as tuples, in the SELECT's column order.

Column types: PostgreSQL's driver returns typed values. SQLite stores dates and timestamps as ISO
text and booleans as 0/1, and Piccolo's converters (registered globally by declared type) cost a
Python call per value, even per INTEGER (`int(Decimal(text))`); a 50-row page has ~500 of them.
So the inline reader reads raw values and each statement names the few columns to convert in
`types`, one letter per column: `d` date, `t` timestamptz (stored in UTC, as Piccolo does),
`b` boolean, `.` as stored. The same letters are applied inside a transaction, where the
connection's own (Piccolo's) converters already ran: each conversion accepts its result.

On SQLite a read outside a transaction runs on the event loop's thread, on a connection of the
pool kept for that (`PooledSQLiteEngine.inline_reader`): in WAL mode a reader takes no lock a
writer holds (https://sqlite.org/wal.html, "readers do not block writers and a writer does not
block readers"), so an indexed read of a few rows returns in microseconds and never waits for a
write. Only short, indexed statements belong here; a scan of a whole book belongs in the
regular engine path, which runs in a thread. Inside a transaction the statement runs on the
transaction's own connection, so it sees the transaction's writes.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from api.db import engine, query_count
from api.db.sqlite_pool import PooledSQLiteEngine

Row = Sequence[Any]


# Parsed values by their text: the same rows are read again and again (every visit of the list
# reads the same page), and dates and datetimes are immutable, so one parse serves them all.
# Bounded: emptied when full.
_PARSED: dict[str, Any] = {}
_PARSED_MAX = 200_000


def _remember(text: str, value: Any) -> Any:
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[text] = value
    return value


def _date(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    held = _PARSED.get(value)
    return held if held is not None else _remember(value, dt.date.fromisoformat(value))


def _timestamptz(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    held = _PARSED.get(value)
    if held is None:
        held = _remember(value, dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC))
    return held


# The converters by type letter, by the name the generated row functions call them.
_NAMES = {"d": "_date", "t": "_timestamptz", "b": "bool"}
_SCOPE: dict[str, Any] = {"_date": _date, "_timestamptz": _timestamptz, "bool": bool}


@lru_cache(maxsize=256)
def _row_converter(types: str) -> Callable[[Any], Row] | None:
    """One function per `types` building a converted row in one tuple expression (a call per
    converted value, nothing per plain one): a 50-row page has hundreds of values, and a Python
    loop over each row's values cost more than the read itself. None when nothing converts.
    The source is made here from the letters above only (never from data)."""
    if all(c == "." for c in types):
        return None
    parts = [
        f"r[{i}]" if c == "." else f"(None if r[{i}] is None else {_NAMES[c]}(r[{i}]))"
        for i, c in enumerate(types)
    ]
    convert: Callable[[Any], Row] = eval(f"lambda r: ({', '.join(parts)},)", dict(_SCOPE))
    return convert


def _typed(rows: list[Any], types: str) -> list[Row]:
    convert = _row_converter(types)
    if convert is None:
        return rows
    return [convert(row) for row in rows]


@lru_cache(maxsize=256)
def _postgres(sql: str) -> str:
    """`?` -> `$1`, `$2`, ... (the statements here have no `?` inside string literals)."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


async def fetch(sql: str, args: Sequence[Any] = (), types: str = "") -> list[Row]:
    """Every row of one SELECT, as sequences in the statement's column order; `types` as above
    (PostgreSQL needs none)."""
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
            return _typed(list(await cursor.fetchall()), types)
        finally:
            await cursor.close()
    try:
        rows = eng.inline_reader().execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        rows = await eng.read_slowly(sql, args)
    return _typed(rows, types)


async def write(sql: str, args: Sequence[Any] = (), types: str = "") -> list[Row]:
    """One INSERT/UPDATE (with RETURNING, its rows) on the current write transaction's
    connection: the short write paths (recording an interaction) use it where building a
    Piccolo insert cost more than the statement. Never outside a transaction: on SQLite the
    inline reader must not write, and every write holds the writer."""
    if engine().current_transaction.get() is None:
        raise RuntimeError("hot.write runs inside write_transaction()")
    return await fetch(sql, args, types)


async def fetch_one(sql: str, args: Sequence[Any] = (), types: str = "") -> Row | None:
    rows = await fetch(sql, args, types)
    return rows[0] if rows else None
