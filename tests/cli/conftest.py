"""In-process `kith` runs: `main(argv)` on a temporary database, output read with capsys.

Each test gets a database of its own, on SQLite always and on PostgreSQL when KITH_TEST_PG_URL
names a server. `main` installs its own engine on the tables; the session's API tests use
another, so it is put back after each test.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from piccolo.apps.migrations.tables import Migration

from api import db
from api.cli import main
from api.db import piccolo_conf
from api.db.tables import TABLES

PASSWORD = "correct-horse-battery"
_scratch = itertools.count()


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@dataclass
class Kith:
    """Runs `kith ARGS...` in this process, as a user would type it."""

    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    engine: str
    folder: Path
    pg_server: str
    scratch: list[str] = field(default_factory=list)

    def __call__(self, *argv: str, code: int = 0) -> Run:
        self.capsys.readouterr()
        got = main(list(argv))
        out, err = self.capsys.readouterr()
        assert got == code, f"kith {' '.join(argv)} exited {got}: {err}"
        return Run(got, out, err)

    def use_new_database(self) -> str:
        """Point KITH_DATABASE_URL at a new, empty database; returns its URL."""
        n = next(_scratch)
        if self.engine == "postgres":
            name = f"kith_cli_{os.getpid()}_{n}"
            asyncio.run(_pg_admin(self.pg_server, f"CREATE DATABASE {name}"))
            self.scratch.append(name)
            url = self.pg_server.rsplit("/", 1)[0] + "/" + name
        else:
            url = f"sqlite:///{self.folder}/kith-{n}.sqlite3"
        self.monkeypatch.setenv("KITH_DATABASE_URL", url)
        return url

    def drop_databases(self) -> None:
        for name in self.scratch:
            statement = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            asyncio.run(_pg_admin(self.pg_server, statement))


@pytest.fixture(autouse=True)
def _session_engine_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever engine `main` configures, the one installed before the test comes back after."""
    monkeypatch.setattr(db, "_engine", db._engine)
    monkeypatch.setattr(db, "_engine_url", db._engine_url)
    monkeypatch.setattr(piccolo_conf, "DB", piccolo_conf.DB)
    for table in [*TABLES, Migration]:
        monkeypatch.setattr(table._meta, "_db", table._meta._db)


async def _pg_admin(server_url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def kith(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Kith]:
    server = os.environ.get("KITH_TEST_PG_URL", "")
    if request.param == "postgres" and not server:
        pytest.skip("PostgreSQL skipped: KITH_TEST_PG_URL is not set (no server here)")
    for name in [n for n in os.environ if n.startswith("KITH_") and n != "KITH_TEST_PG_URL"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KITH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KITH_BASE_URL", "http://127.0.0.1:8765")
    monkeypatch.setenv("KITH_RUN_SCHEDULER", "0")
    monkeypatch.setenv("KITH_PASSWORD", PASSWORD)
    runner = Kith(capsys, monkeypatch, request.param, tmp_path, server)
    try:
        runner.use_new_database()
        yield runner
    finally:
        runner.drop_databases()
