"""Fixtures: the same API tests run on SQLite and on a real PostgreSQL server.

PostgreSQL comes from KITH_TEST_PG_URL (`make test` starts a throwaway cluster when Debian's
postgresql is installed; .ci/run installs it). Without it the postgres half is skipped, by name.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import db
from api.app import create_app
from api.settings import Settings

ENGINES = ["sqlite", "postgres"]
logging.getLogger("httpx").setLevel(logging.WARNING)
PASSWORD = "correct-horse-battery"


class MutableClock:
    """A clock the test moves by hand."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += dt.timedelta(**kwargs)


async def _reset_schema(engine: str) -> None:
    eng = db.engine()
    if engine == "postgres":
        await eng.run_ddl("DROP SCHEMA public CASCADE")
        await eng.run_ddl("CREATE SCHEMA public")
    await db.migrate()


async def truncate_all() -> None:
    from api.db.tables import TABLES

    eng = db.engine()
    names = [t._meta.tablename for t in TABLES]
    if eng.engine_type == "postgres":
        # The queue's jobs too: a job another test left queued names ids the next test reuses.
        names.append("procrastinate_jobs")
        await eng.run_ddl(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    else:
        for name in reversed(names):
            await eng.run_ddl(f"DELETE FROM {name}")


@pytest.fixture(scope="session", params=ENGINES)
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    data_dir = tmp_path_factory.mktemp(f"kith-{request.param}")
    scratch = None
    if request.param == "postgres":
        server = os.environ.get("KITH_TEST_PG_URL")
        if not server:
            pytest.skip("PostgreSQL skipped: KITH_TEST_PG_URL is not set (no server here)")
        # A database of its own per test session, so concurrent runs never share a schema.
        scratch = f"kith_test_{os.getpid()}"
        await _pg_admin(server, f"DROP DATABASE IF EXISTS {scratch}", f"CREATE DATABASE {scratch}")
        url = server.rsplit("/", 1)[0] + "/" + scratch
    else:
        url = f"sqlite:///{data_dir}/test.sqlite3"
    settings = Settings(database_url=url, data_dir=Path(data_dir), secret_key="test-secret-key")
    db.configure(settings)
    await db.start_pool(settings)
    await _reset_schema(request.param)
    yield settings
    await db.close_pool()
    if scratch is not None:
        await _pg_admin(
            os.environ["KITH_TEST_PG_URL"], f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"
        )


async def _pg_admin(server_url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
async def clean_db(database: Settings) -> Settings:
    db.configure(database)
    await truncate_all()
    return database


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC))


@pytest.fixture
def app(clean_db: Settings, clock: MutableClock) -> Any:
    return create_app(clean_db, clock, migrate_on_start=False, start_scheduler=False)


def new_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
        base_url="http://testserver",
    )


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as c:
        yield c


async def book_rows() -> tuple[Any, ...]:
    """Every row of the tables an import writes (contacts, keys, remembered cards, interactions),
    in id order: equal before and after a failed import when it left the database as it was."""
    from api.db.tables import Contact, ContactKey, ImportCard, Interaction

    return (
        await Contact.select().order_by(Contact.id).run(),
        await ContactKey.select().order_by(ContactKey.id).run(),
        await ImportCard.select().order_by(ImportCard.id).run(),
        await Interaction.select().order_by(Interaction.id).run(),
    )


async def make_user(email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    from api.services.users import create_user

    return await create_user(email, password, **kwargs)


async def sign_in(c: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in and arm the client with the CSRF header, as the PWA does."""
    r = await c.post("/api/auth/login", json={"email": email, "password": password})
    if r.status_code == 200:
        await c.get("/api/auth/me")
        token = c.cookies.get("csrftoken")
        assert token, "the CSRF cookie is set on the first safe request"
        c.headers["x-csrftoken"] = token
    return r


@pytest.fixture
async def alice(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    await make_user("alice@example.com")
    async with new_client(app) as c:
        r = await sign_in(c, "alice@example.com")
        assert r.status_code == 200, r.text
        yield c


@pytest.fixture
async def bob(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    await make_user("bob@example.com")
    async with new_client(app) as c:
        r = await sign_in(c, "bob@example.com")
        assert r.status_code == 200, r.text
        yield c


@pytest.fixture
def cards_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The line (in its piece) of every card the vCard reader reads: the real reader, observed
    (a large file's re-import reads only the cards it does not recognise)."""
    from pipeline.formats.vcard import fields

    seen: list[int] = []
    real = fields.read_card

    def observed(raw: Any, reader: Any, issues: Any) -> Any:
        seen.append(raw.line)
        return real(raw, reader, issues)

    monkeypatch.setattr("pipeline.formats.vcard.parse.read_card", observed)
    return seen
