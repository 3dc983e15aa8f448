"""Database lifecycle: pick the engine from Settings, migrate, open and close the pool."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import TransactionType

from api.db.engines import build_engine
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


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for writes. On SQLite it is IMMEDIATE: it takes the write lock up front, so
    concurrent read-then-write transactions queue instead of failing with "database is locked"."""
    db = engine()
    if db.engine_type == "sqlite":
        async with db.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with db.transaction():
            yield
