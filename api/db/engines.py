"""Building and installing the Piccolo engine chosen by KITH_DATABASE_URL."""

from __future__ import annotations

from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from api.db import query_count
from api.db.sqlite_pool import PooledSQLiteEngine
from api.settings import Settings


class CountingPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine (asyncpg pool), counting statements for the query-count tests."""

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        query_count.record(str(querystring))
        return await super().run_querystring(querystring, in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        query_count.record(ddl)
        return await super().run_ddl(ddl, in_pool)


def build_engine(settings: Settings) -> Engine[Any]:
    if settings.engine == "postgres":
        return CountingPostgresEngine(config={"dsn": settings.database_url}, log_queries=False)
    path = settings.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: how long a writer waits for another process's write lock (a queue of writers
    # under load can take tens of seconds; waiting beats failing); writers also use IMMEDIATE
    # transactions (tech.md pitfall 10) so a read-then-write never fails with "database is
    # locked". Writers of this process queue on the pool's lock (api/db/sqlite_pool.py).
    return PooledSQLiteEngine(path=str(path), timeout=60)
