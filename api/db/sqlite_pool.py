"""A SQLite engine that keeps its connections open: one writer and a few readers per event loop.

Why a subclass: Piccolo's `SQLiteEngine` opens a new aiosqlite connection (a new thread, a new
file handle, `PRAGMA foreign_keys`) for every query outside a transaction and for every
transaction, and runs `PRAGMA foreign_keys = 1` again before each query inside one. That costs a
few milliseconds per query, ~240x the query itself, and Piccolo has no hook to reuse
connections (its `in_pool` argument is ignored on SQLite). So we override the four places that
obtain a connection (`run_querystring`, `run_ddl`, `transaction`, `get_connection`) and keep
everything else of Piccolo's engine (type adapters, savepoints, nested transactions).

The shape follows SQLite's own concurrency model in WAL mode (https://sqlite.org/wal.html):
readers never block the writer and vice versa, but there is only one writer at a time. So:

- one long-lived writer connection per event loop, guarded by an `asyncio.Lock`. Every
  transaction is pinned to it for its whole life (the lock is held from BEGIN to COMMIT), and so
  is every statement that is not a plain SELECT. Writers of this process queue on the lock
  instead of on SQLite's busy handler; writers of other processes (a CLI import beside
  `kith serve`) still wait on `busy_timeout`.
- a few reader connections per event loop for SELECTs outside a transaction; each autocommit
  SELECT sees the latest committed state, so a read after a write sees the write.
- pragmas set once per connection: WAL, `busy_timeout` (the engine's `timeout`),
  `foreign_keys=ON`, `synchronous=NORMAL` (in WAL mode it is durable against a process crash,
  i.e. SIGKILL, and only a power loss may drop the last commits; https://sqlite.org/pragma.html#pragma_synchronous).

Connections belong to the event loop that opened them (aiosqlite resolves futures on it), so the
pool is kept per loop; `close()` closes the current loop's connections, and a loop that ended
without closing has its connection threads stopped on the next use from another loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import (
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    dict_factory,
)
from piccolo.querystring import QueryString

from api.db import query_count
from api.db.sqlite_checkpoint import Checkpointer
from api.db.sqlite_inline import InlineConnection
from api.db.writer_lock import WriterLock

READERS = 3
WRITER_CACHE_KIB = 16_384
INLINE_BUSY_MS = 100


class WriterBusy(sqlite3.OperationalError):
    """A bounded transaction could not have this process's writer in time (another writer of
    this process holds it). A subclass of the error SQLite itself gives for a busy lock."""


async def _open(kwargs: dict[str, Any], busy_ms: int) -> aiosqlite.Connection:
    conn = aiosqlite.connect(**kwargs)
    # The worker thread must not keep the process alive if a loop ends without close().
    conn._thread.daemon = True
    await conn
    conn.row_factory = dict_factory  # type: ignore[assignment]
    for pragma in (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={busy_ms}",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
    ):
        await conn.execute(pragma)
    return conn


class _LoopPool:
    """The connections of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.writer: aiosqlite.Connection | None = None
        self.write_lock = WriterLock()
        self.idle: list[aiosqlite.Connection] = []
        self.opened = 0
        self.readers_free = asyncio.Condition()
        self.all: list[aiosqlite.Connection] = []
        self.inline: sqlite3.Connection | None = None
        self.inline_writer: InlineConnection | None = None
        self.checkpointer: Checkpointer | None = None  # the inline writer's (sqlite_checkpoint)


class PooledTransaction(SQLiteTransaction):
    """A Piccolo transaction on the pool's writer: the write lock is held until it ends.
    `lock_wait` (seconds) bounds the wait for the lock; None waits as long as it takes."""

    lock_wait: float | None = None
    inline: bool = False  # a short transaction: on the loop's thread (InlineConnection)
    # The type of BEGIN on the thread-backed writer when the inline BEGIN met another process's
    # writer (None: this transaction's own type).
    fallback_type: TransactionType | None = None

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            if not (self.inline and self._begin_inline()):
                if self.fallback_type is not None:
                    self.transaction_type = self.fallback_type
                await self.begin()  # type: ignore[no-untyped-call]
        except BaseException:
            # e.g. BEGIN IMMEDIATE timed out behind another process's writer
            self.engine._pool().write_lock.release()  # type: ignore[attr-defined]
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    def _begin_inline(self) -> bool:
        """BEGIN on the inline writer, unless another process holds the file's write lock:
        then False, and this transaction goes on the thread-backed writer, whose BEGIN waits
        on `busy_timeout` without stalling the loop. Once begun, no statement of a WAL-mode
        transaction waits for a lock (the writer already holds it; readers never block it)."""
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        conn = engine._inline_writer(engine._pool())
        try:
            conn.execute_now(f"BEGIN {self.transaction_type.value}")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return False
        self.connection = conn
        return True

    async def get_connection(self) -> aiosqlite.Connection:
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        pool = engine._pool()
        if self.inline and pool.write_lock.take_now():
            pass  # a free lock, ahead of any queue: api/db/writer_lock.py says why that is safe
        elif self.lock_wait is None:
            await pool.write_lock.acquire()
        else:
            try:
                await asyncio.wait_for(pool.write_lock.acquire(), self.lock_wait)
            except TimeoutError:
                raise WriterBusy("another writer of this process holds the write lock") from None
        try:
            return await engine._writer(pool)
        except BaseException:
            pool.write_lock.release()
            raise

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        pool = self.engine._pool()  # type: ignore[attr-defined]
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]
                if self.connection is pool.inline_writer and pool.checkpointer is not None:
                    pool.checkpointer.committed()
        finally:
            # The connection stays open for the next transaction; only the lock is released.
            self.engine.current_transaction.reset(self.context)
            pool.write_lock.release()
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, *, timeout: float = 60, **kwargs: Any) -> None:
        super().__init__(path=path, timeout=timeout, check_same_thread=False, **kwargs)
        self._busy_ms = int(timeout * 1000)
        self.busy_ms = (
            self._busy_ms
        )  # what `busy_timeout` is put back to after a bounded transaction
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}

    # -- the pool ------------------------------------------------------------------------------

    def _pool(self) -> _LoopPool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            self._forget_closed_loops()
            pool = self._pools[loop] = _LoopPool(loop)
        return pool

    def _forget_closed_loops(self) -> None:
        for loop in [lp for lp in self._pools if lp.is_closed()]:
            pool = self._pools.pop(loop)
            for conn in pool.all:
                conn.stop()  # ends the worker thread; the sqlite3 connection closes with it
            if pool.inline is not None:
                pool.inline.close()
            if pool.inline_writer is not None:
                pool.inline_writer.close_now()
            if pool.checkpointer is not None:
                pool.checkpointer.close_now()

    async def _writer(self, pool: _LoopPool) -> aiosqlite.Connection:
        if pool.writer is None:
            pool.writer = await _open(self.connection_kwargs, self._busy_ms)
            # The writer's page cache holds a large import's index pages (SQLite's default is
            # 2 MB): inserting 50,000 contacts' 200,000 keys spilled and re-read pages, 40% of
            # that insert's time. Pages are allocated only as used; readers keep the default.
            await pool.writer.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            pool.all.append(pool.writer)
        return pool.writer

    def _inline_writer(self, pool: _LoopPool) -> InlineConnection:
        """The connection of short write transactions (InlineConnection), set up like the
        others but with busy_timeout 0: its BEGIN must fail at once, never stall the loop, when
        another process writes (the transaction then takes the thread-backed writer)."""
        if pool.inline_writer is None:
            conn = sqlite3.connect(**self.connection_kwargs)
            conn.row_factory = dict_factory
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA busy_timeout=0",
                "PRAGMA foreign_keys=ON",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA wal_autocheckpoint=0",  # checkpointed in a thread: sqlite_checkpoint.py
            ):
                conn.execute(pragma)
            pool.inline_writer = InlineConnection(conn)
            pool.checkpointer = Checkpointer(self.connection_kwargs)
        return pool.inline_writer

    async def _borrow_reader(self, pool: _LoopPool) -> aiosqlite.Connection:
        async with pool.readers_free:
            while not pool.idle:
                if pool.opened < READERS:
                    pool.opened += 1
                    try:
                        conn = await _open(self.connection_kwargs, self._busy_ms)
                    except BaseException:
                        pool.opened -= 1
                        raise
                    pool.all.append(conn)
                    return conn
                await pool.readers_free.wait()
            return pool.idle.pop()

    async def _return_reader(self, pool: _LoopPool, conn: aiosqlite.Connection) -> None:
        async with pool.readers_free:
            pool.idle.append(conn)
            pool.readers_free.notify()

    def inline_reader(self) -> sqlite3.Connection:
        """A connection used on the event loop's own thread, for the short indexed reads of
        api/db/hot.py (why that is safe in WAL mode is said there). Rows are tuples of the
        stored values: no type converters (hot.py converts the few columns that need it)."""
        pool = self._pool()
        if pool.inline is None:
            kwargs = {k: v for k, v in self.connection_kwargs.items() if k != "detect_types"}
            conn = sqlite3.connect(**kwargs)
            # A WAL reader is refused only in rare moments (another connection recovering or
            # resetting the WAL): wait briefly here, on the loop's thread, then `read_slowly`.
            for pragma in (
                "PRAGMA journal_mode=WAL",
                f"PRAGMA busy_timeout={INLINE_BUSY_MS}",
                "PRAGMA foreign_keys=ON",
            ):
                conn.execute(pragma)
            pool.inline = conn
        return pool.inline

    async def read_slowly(self, sql: str, args: Any) -> list[Any]:
        """The statement of a refused inline read, on a connection of its own in a worker
        thread, waiting as long as any other statement of this engine would (`busy_timeout`)."""
        kwargs = {k: v for k, v in self.connection_kwargs.items() if k != "detect_types"}

        def run() -> list[Any]:
            conn = sqlite3.connect(**kwargs)
            try:
                conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
                rows: list[Any] = conn.execute(sql, args).fetchall()
                return rows
            finally:
                conn.close()

        return await asyncio.to_thread(run)

    async def close(self) -> None:
        """Close this loop's connections (the next query opens new ones)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            for conn in pool.all:
                await conn.close()
            if pool.inline is not None:
                pool.inline.close()
            if pool.inline_writer is not None:
                pool.inline_writer.close_now()
            if pool.checkpointer is not None:
                await pool.checkpointer.close()
        self._forget_closed_loops()

    # -- Piccolo's entry points ----------------------------------------------------------------

    async def get_connection(self) -> aiosqlite.Connection:
        """A fresh connection for Piccolo's `batch()` (the caller closes it), set up like ours."""
        return await _open(self.connection_kwargs, self._busy_ms)

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return PooledTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    def short_transaction(self) -> SQLiteTransaction:
        """An IMMEDIATE transaction run on the loop's thread (InlineConnection): for the few
        indexed statements of one user's edit, never for an import's bulk writes."""
        tx = PooledTransaction(engine=self, transaction_type=TransactionType.immediate)
        tx.inline = True
        return tx

    def bounded_transaction(self, lock_wait: float) -> SQLiteTransaction:
        """A transaction that waits at most `lock_wait` s for this process's writer, for one
        or two indexed statements (the feed's fetch bookkeeping). Like `short_transaction` it
        runs on the loop's thread; when another process holds the file's write lock it is a
        DEFERRED transaction on the thread-backed writer instead, whose statements wait on
        `busy_timeout` (the caller bounds it: api.db.short_lock_transaction).

        Why inline: on the thread-backed writer each of its five statements (BEGIN, two
        pragmas, the UPDATE, COMMIT) is one turn of a busy loop, ~50 ms under the load test,
        and every short write of the process queued behind it on the write lock (the load
        test's writes waited ~300 ms, and most of these timed out and were tried again)."""
        tx = PooledTransaction(engine=self, transaction_type=TransactionType.immediate)
        tx.lock_wait = lock_wait
        tx.inline = True
        tx.fallback_type = TransactionType.deferred
        return tx

    async def _execute(self, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        """One statement, one hop to the connection's thread (execute and fetch together)."""
        query_count.record(sql)
        rows: Any
        tx = self.current_transaction.get()
        if tx is not None:
            rows = await tx.connection.execute_fetchall(sql, args)
            return list(rows)
        pool = self._pool()
        if sql.lstrip()[:6].upper() == "SELECT":
            conn = await self._borrow_reader(pool)
            try:
                rows = await conn.execute_fetchall(sql, args)
            finally:
                await self._return_reader(pool, conn)
            return list(rows)
        async with pool.write_lock:
            writer = await self._writer(pool)
            rows = await writer.execute_fetchall(sql, args)
        return list(rows)

    async def run_querystring(
        self, querystring: QueryString, in_pool: bool = False
    ) -> list[dict[str, Any]]:
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=str(querystring))
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._execute(sql, args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> list[dict[str, Any]]:
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await self._execute(ddl, [])
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response


assert sqlite3.sqlite_version_info >= (3, 35), "RETURNING (used for inserts) needs SQLite 3.35"
