"""Database lifecycle: pick the engine from Settings, migrate, open and close the pool."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from piccolo.apps.migrations.tables import Migration
from piccolo.columns import Varchar
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import TransactionType

from api.db.engines import build_engine
from api.db.sqlite_inline import InlineConnection
from api.db.sqlite_pool import PooledSQLiteEngine
from api.settings import Settings

os.environ.setdefault("PICCOLO_CONF", "api.db.piccolo_conf")

_engine: Engine[Any] | None = None
_engine_url: str | None = None


def configure(settings: Settings) -> Engine[Any]:
    """Install the engine for `settings` on every table (and Piccolo's own migration table)."""
    global _engine, _engine_url
    from api.db import piccolo_conf
    from api.db.tables import TABLES

    if _engine is not None and _engine_url == settings.database_url:
        return _engine  # keep the open pool: tests and the CLI configure before create_app does
    engine = build_engine(settings)
    piccolo_conf.DB = engine
    tables: list[Any] = [*TABLES, Migration]
    for table in tables:
        table._meta.db = engine
    _engine = engine
    _engine_url = settings.database_url
    return engine


def engine() -> Engine[Any]:
    if _engine is None:
        raise RuntimeError("database not configured: call api.db.configure(settings) first")
    return _engine


def engine_name() -> str:
    return "postgres" if engine().engine_type == "postgres" else "sqlite"


async def migrate() -> list[str]:
    """Run every pending migration; returns the ids that ran. Enables WAL on SQLite."""
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager

    db = engine()
    if db.engine_type == "sqlite":
        # WAL lets readers run beside the one writer; it must be set outside a transaction
        # and persists in the file.
        await db.run_ddl("PRAGMA journal_mode=WAL")
    before = set(await applied_migrations())
    manager = ForwardsMigrationManager(app_name="kith", migration_id="all", fake=False)
    # Piccolo prints progress to stdout; the CLI's stdout belongs to its own output.
    with contextlib.redirect_stdout(io.StringIO()):
        result = await manager.run()
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")
    after = await applied_migrations()
    ran = [m for m in after if m not in before]
    if db.engine_type == "postgres":
        # The job queue lives in the same database: its schema comes with Kith's migrations.
        from api.db.queue import apply_schema

        if await apply_schema(queue_url()):
            ran.append("procrastinate")
    return ran


def queue_url() -> str:
    """The PostgreSQL URL the job queue connects to (the one Piccolo uses)."""
    from piccolo.engine.postgres import PostgresEngine

    pg = engine()
    if not isinstance(pg, PostgresEngine):
        raise RuntimeError("the job queue needs PostgreSQL")
    return str(pg.config["dsn"])


async def applied_migrations() -> list[str]:
    if not await Migration.table_exists().run():
        return []
    rows = await Migration.select(Migration.name).where(Migration.app_name == "kith").run()
    return sorted(str(r["name"]) for r in rows)


def known_migrations() -> list[str]:
    """Migration ids committed in the repo (read from the files, not imported)."""
    import re
    from pathlib import Path

    folder = Path(__file__).parent / "migrations"
    ids = []
    for path in folder.glob("kith_*.py"):
        found = re.search(r'^ID = "([^"]+)"', path.read_text(), re.MULTILINE)
        if found:
            ids.append(found.group(1))
    return sorted(ids)


async def start_pool(settings: Settings) -> None:
    db = engine()
    if db.engine_type == "postgres":
        await db.start_connection_pool(min_size=1, max_size=settings.pg_pool_max)  # type: ignore[call-arg,no-untyped-call]


async def close_pool() -> None:
    db = engine()
    if db.engine_type == "postgres":
        await db.close_connection_pool()  # type: ignore[no-untyped-call]
    elif isinstance(db, PooledSQLiteEngine):
        await db.close()


# The first key of Kith's transaction-scoped advisory locks ("KITH"); the second is the user id.
# Two-key locks never meet the one-bigint locks other software in the database may take.
USER_LOCK_SPACE = 0x4B495448
# The users whose lock the current PostgreSQL transaction holds (for nested write_transactions).
_LOCKED_USERS: ContextVar[frozenset[int]] = ContextVar("kith_locked_users", default=frozenset())


@asynccontextmanager
async def write_transaction(
    *, lock_user: int | None = None, short: bool = False
) -> AsyncIterator[None]:
    """A transaction for writes. On SQLite it is IMMEDIATE: it takes the write lock up front, so
    concurrent read-then-write transactions queue instead of failing with "database is locked",
    and every writer of the file is serialised (which covers `lock_user` too).

    `lock_user`: on PostgreSQL the first statement takes that user's transaction-scoped advisory
    lock, so one user's imports and rescorings run one at a time across every process, and what
    such a transaction reads next includes everything the previous holder committed (READ
    COMMITTED takes a new snapshot per statement). The lock ends with the transaction.

    `short`: a handful of indexed statements (one interaction, one contact's edit). On SQLite it
    runs on the event loop's thread (PooledSQLiteEngine.short_transaction says why), so it holds
    the write lock for microseconds per statement instead of one loop turn each.
    """
    db = engine()
    if db.engine_type == "sqlite":
        if short and isinstance(db, PooledSQLiteEngine):
            async with db.short_transaction():
                yield
            return
        async with db.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        # Nested in a transaction that already holds this user's lock (refresh_contact inside
        # record_interaction): taking it again would be one more round trip under the lock.
        held = _LOCKED_USERS.get() if db.current_transaction.get() is not None else frozenset()
        async with db.transaction() as tx:
            if lock_user is None or lock_user in held:
                yield
                return
            await tx.connection.execute(
                "SELECT pg_advisory_xact_lock($1, $2)", USER_LOCK_SPACE, lock_user
            )
            token = _LOCKED_USERS.set(held | {lock_user})
            try:
                yield
            finally:
                _LOCKED_USERS.reset(token)


@asynccontextmanager
async def read_transaction() -> AsyncIterator[None]:
    """A consistent read without the write lock (SQLite: DEFERRED, so other writers go on);
    for the bulk reads (`api.db.bulk.fetch_tuples`) made before a write transaction opens."""
    db = engine()
    if db.engine_type == "sqlite":
        async with db.transaction(transaction_type=TransactionType.deferred):
            yield
    else:
        async with db.transaction():
            yield


def fit(column: Varchar, text: str) -> str:
    """Display text (a file name, a suggestion's reason) cut to its varchar column, marked with an
    ellipsis: PostgreSQL refuses a longer value where SQLite would keep it (issue 12)."""
    limit = column.length
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "\u2026"


def fits(column: Varchar, text: str | None) -> bool:
    """Whether `text` fits its varchar column as it is (None always does)."""
    return text is None or column.length is None or len(text) <= column.length


@asynccontextmanager
async def short_lock_transaction(timeout_ms: int = 200) -> AsyncIterator[None]:
    """A transaction for best-effort writes that must not queue behind another writer: it
    raises (`WriterBusy`, SQLite "database is locked", PostgreSQL LockNotAvailableError) once
    its lock could not be had within `timeout_ms`.

    SQLite: the pooled engine pins every transaction to this process's one writer connection, so
    a writer of this process (an import) is waited for on the pool's lock, bounded here; then it
    runs on the loop's thread (PooledSQLiteEngine.bounded_transaction says why). A writer of
    another process is waited for on the thread-backed writer's `busy_timeout`, lowered for this
    transaction only and put back after, because the connection outlives it. PostgreSQL: `SET
    LOCAL` ends with the transaction."""
    db = engine()
    ms = int(timeout_ms)
    if db.engine_type == "sqlite":
        assert isinstance(db, PooledSQLiteEngine)
        async with db.bounded_transaction(ms / 1000) as tx:
            if isinstance(tx.connection, InlineConnection):
                yield  # it holds the file's write lock already: no statement of it waits
                return
            await db.run_ddl(f"PRAGMA busy_timeout = {ms}")
            try:
                yield
            finally:
                await db.run_ddl(f"PRAGMA busy_timeout = {db.busy_ms}")
    else:
        async with db.transaction():
            await db.run_ddl(f"SET LOCAL lock_timeout = '{ms}ms'")
            yield
