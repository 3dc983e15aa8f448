"""Building and installing the Piccolo engine chosen by KITH_DATABASE_URL."""

from __future__ import annotations

from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from api.settings import Settings


def build_engine(settings: Settings) -> Engine[Any]:
    if settings.engine == "postgres":
        return PostgresEngine(config={"dsn": settings.database_url}, log_queries=False)
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: how long a writer waits for the lock (a queue of writers under load can take
    # tens of seconds; waiting beats failing); writers also use IMMEDIATE transactions
    # (tech.md pitfall 10) so a read-then-write never fails with "database is locked".
    return SQLiteEngine(path=str(path), timeout=60, check_same_thread=False)
