"""Bulk inserts for large imports: one prepared statement, many rows (executemany).

Building a Piccolo row object and a query string per row cost most of a 50,000-card import;
inside the write transaction we hand the rows straight to the driver instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from piccolo.table import Table

from api.db import engine, query_count


class DuplicateRow(Exception):
    """An INSERT met a row its unique index already holds (raised instead of the driver's error)."""


def _is_unique_violation(exc: BaseException) -> bool:
    import sqlite3

    import asyncpg

    if isinstance(exc, asyncpg.exceptions.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(exc)


def _connection() -> tuple[str, Any]:
    eng = engine()
    tx = eng.current_transaction.get()
    if tx is None:
        raise RuntimeError("bulk inserts run inside write_transaction()")
    while getattr(tx, "_parent", None) is not None:
        tx = tx._parent
    return eng.engine_type, tx.connection


async def insert_many(
    table: type[Table],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT every row (values in `columns` order) in the current write transaction.

    Without `ignore_conflicts`, a row that breaks a unique index raises `DuplicateRow` (on
    PostgreSQL the transaction is then aborted: the caller rolls it back)."""
    if not rows:
        return
    kind, conn = _connection()
    names = ", ".join(f'"{c}"' for c in columns)
    if kind == "postgres":
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    else:
        marks = ", ".join("?" for _ in columns)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    sql = f"INSERT INTO {table._meta.tablename} ({names}) VALUES ({marks}){conflict}"
    query_count.record(sql)
    values = [tuple(r) for r in rows] if kind == "postgres" else _adapted(rows)
    try:
        await conn.executemany(sql, values)
    except Exception as exc:
        if _is_unique_violation(exc):
            raise DuplicateRow(str(exc)) from exc
        raise


_MEMO_TYPES = (dt.date, dt.datetime)


def _adapted(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows for sqlite3, each value a registered adapter converts (Piccolo's, for datetimes)
    converted once per distinct value: an import's rows share one `now`, and the adapter was a
    Python call per cell (a third of inserting 50,000 contacts). The text stored is the same."""
    import sqlite3

    adapters = sqlite3.adapters
    proto = sqlite3.PrepareProtocol
    columns = [i for i, v in enumerate(rows[0]) if (type(v), proto) in adapters]
    if not columns:
        return [tuple(r) for r in rows]
    memo: dict[tuple[type, Any], Any] = {}

    def adapt(value: Any) -> Any:
        adapter = adapters.get((type(value), proto))
        if adapter is None:
            return value
        # Only dates and datetimes are shared: two equal ones always give the same text (an
        # aware datetime is written in UTC), which equal Decimals or times need not.
        if type(value) not in _MEMO_TYPES:
            return adapter(value)
        key = (type(value), value)
        if key not in memo:
            memo[key] = adapter(value)
        return memo[key]

    out = []
    for r in rows:
        cells = list(r)
        for i in columns:
            cells[i] = adapt(cells[i])
        out.append(tuple(cells))
    return out


async def update_many(
    table: type[Table], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """UPDATE table SET columns... WHERE id = last value of each row (executemany)."""
    if not rows:
        return
    kind, conn = _connection()
    if kind == "postgres":
        sets = ", ".join(f'"{c}" = ${i}' for i, c in enumerate(columns, start=1))
        where = f"${len(columns) + 1}"
    else:
        sets = ", ".join(f'"{c}" = ?' for c in columns)
        where = "?"
    sql = f"UPDATE {table._meta.tablename} SET {sets} WHERE id = {where}"
    query_count.record(sql)
    await conn.executemany(sql, [tuple(r) for r in rows])


async def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """One statement for each row (executemany, inside a write transaction); `sql` uses `?`
    placeholders, which become `$n` on PostgreSQL."""
    if not rows:
        return
    kind, conn = _connection()
    if kind == "postgres":
        sql = _numbered(sql)
    query_count.record(sql)
    await conn.executemany(sql, [tuple(r) for r in rows])


def _numbered(sql: str) -> str:
    """`?` -> `$1`, `$2`, ... (the statements here have no `?` inside string literals)."""
    import re

    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


async def fetch_tuples(sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows as plain tuples, straight from the driver (inside a transaction). `sql` uses `?`
    placeholders; they become `$n` on PostgreSQL. For large reads where building a dict per
    row is the cost; values come back as the driver returns them."""
    kind, conn = _connection()
    query_count.record(sql)
    if kind == "postgres":
        n = 0

        def mark(_: object) -> str:
            nonlocal n
            n += 1
            return f"${n}"

        import re

        sql = re.sub(r"\?", mark, sql)
        return [tuple(r) for r in await conn.fetch(sql, *args)]
    # Piccolo's SQLite connections build a dict per row; plain tuples for this read only.
    factory = conn.row_factory
    conn.row_factory = None
    try:
        return [tuple(r) for r in await conn.execute_fetchall(sql, args)]
    finally:
        conn.row_factory = factory
