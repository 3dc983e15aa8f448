"""A sqlite3 connection used on the event loop's own thread, behind the part of aiosqlite's API
that Piccolo's transactions use (api/db/sqlite_pool.py keeps one per loop for short writes)."""

from __future__ import annotations

import sqlite3
from typing import Any


class _InlineCursor:
    """aiosqlite's cursor API over a sqlite3 cursor, for code that runs inside a transaction
    (hot.fetch): each call completes at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def row_factory(self) -> Any:
        return self._cursor.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._cursor.row_factory = factory

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The part of aiosqlite's connection API that transactions use (Piccolo's BEGIN, COMMIT,
    savepoints and queries; hot.fetch; api/db/bulk.py), over a sqlite3 connection used on the
    event loop's thread: every call completes without giving the loop a turn, so a short write
    transaction holds the write lock only for the time its statements take. Through aiosqlite
    each statement is a hop to the connection's thread and back, i.e. one turn of the loop: on
    a busy server, where a turn means every other ready request first, a transaction of nine
    statements held the write lock for nine turns, and every other writer queued behind it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @property
    def row_factory(self) -> Any:
        return self._conn.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._conn.row_factory = factory

    def execute_now(self, sql: str) -> None:
        self._conn.execute(sql)

    async def execute(self, sql: str, args: Any = ()) -> _InlineCursor:
        return _InlineCursor(self._conn.execute(sql, args))

    async def execute_fetchall(self, sql: str, args: Any = ()) -> list[Any]:
        return self._conn.execute(sql, args).fetchall()

    async def executemany(self, sql: str, rows: Any) -> _InlineCursor:
        return _InlineCursor(self._conn.executemany(sql, rows))

    async def close(self) -> None:
        """Kept open for the next transaction (the pool closes it)."""

    def close_now(self) -> None:
        self._conn.close()
