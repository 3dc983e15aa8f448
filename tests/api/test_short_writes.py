"""Short write transactions (`write_transaction(short=True)`): on SQLite they run on the event
loop's thread, commit or roll back like any other, and when another process holds the file's
write lock they wait for it off the loop instead of failing or stalling other requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import pytest

from api.db import engine_name, hot, write_transaction
from api.services.interactions import NewInteraction, record_interaction
from api.store import contacts as contact_store
from tests.conftest import make_user

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
_NOTE = "SELECT note FROM contact WHERE id = ?"


async def _contact() -> tuple[object, int]:
    user = await make_user("short@example.com")
    async with write_transaction():
        cid = await contact_store.insert(
            user.id, {"full_name": "Ada", "created_at": NOW, "updated_at": NOW}
        )
    return user, cid


async def test_a_short_transaction_commits_sees_its_own_writes_and_rolls_back_on_error(clean_db):
    _, cid = await _contact()
    async with write_transaction(short=True):
        await contact_store.update(cid, {"note": "first"})
        assert (await hot.fetch_one(_NOTE, (cid,)))[0] == "first"
    assert (await hot.fetch_one(_NOTE, (cid,)))[0] == "first"
    with pytest.raises(RuntimeError):
        async with write_transaction(short=True):
            await contact_store.update(cid, {"note": "second"})
            raise RuntimeError("undo")
    assert (await hot.fetch_one(_NOTE, (cid,)))[0] == "first"


async def test_a_short_transaction_waits_for_another_processs_writer_without_stalling_the_loop(
    clean_db,
):
    if engine_name() != "sqlite":
        pytest.skip("the inline writer is SQLite's")
    user, cid = await _contact()
    path = clean_db.database_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process's import holding the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    item = NewInteraction(kind="coffee", at=NOW, key="short-1")
    write = asyncio.create_task(record_interaction(user, cid, item, NOW))  # type: ignore[arg-type]
    while ticks < 20:
        await asyncio.sleep(0.01)
    assert not write.done()  # waiting for the other writer, while the loop goes on
    other.execute("COMMIT")
    other.close()
    stored, replayed = await write
    ticking.cancel()
    assert not replayed and stored.kind == "coffee"
    row = await hot.fetch_one("SELECT count(*) FROM interaction WHERE dedup_key = ?", ("short-1",))
    assert row is not None and row[0] == 1
