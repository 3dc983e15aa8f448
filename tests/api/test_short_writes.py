"""Short write transactions (`write_transaction(short=True)`): on SQLite they run on the event
loop's thread, commit or roll back like any other, and when another process holds the file's
write lock they wait for it off the loop instead of failing or stalling other requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading

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


async def test_queued_short_writes_each_take_the_free_lock_without_waiting_for_a_turn(clean_db):
    """Many short writes at once, behind a transaction that holds the lock for a while: once it
    lets go they all run, on SQLite each one taking the free lock at once instead of one turn of
    the loop each (api/db/writer_lock.py), and every one of them lands."""
    user, cid = await _contact()
    holding, let_go = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with write_transaction(lock_user=user.id):  # type: ignore[attr-defined]
            await contact_store.update(cid, {"note": "held"})
            holding.set()
            await let_go.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    writes = [
        asyncio.create_task(
            record_interaction(
                user,  # type: ignore[arg-type]
                cid,
                NewInteraction(kind="call", at=NOW, key=f"queued-{n}"),
                NOW,
            )
        )
        for n in range(20)
    ]
    await asyncio.sleep(0.05)
    assert not any(t.done() for t in writes)
    turns = 0

    def tick() -> None:
        nonlocal turns
        turns += 1
        if not all(t.done() for t in writes):
            asyncio.get_running_loop().call_soon(tick)

    let_go.set()
    await holder
    tick()
    done = await asyncio.gather(*writes)
    if engine_name() == "sqlite":
        assert turns < 10, f"the queued writes took {turns} turns of the loop"
    assert all(not replayed for _, replayed in done)
    row = await hot.fetch_one(
        "SELECT count(*) FROM interaction WHERE dedup_key LIKE ?", ("queued-%",)
    )
    assert row is not None and row[0] == 20
    assert (await hot.fetch_one(_NOTE, (cid,)))[0] == "held"


async def test_short_writes_leave_the_wal_checkpoints_to_a_worker_thread(clean_db):
    """The inline writer commits on the loop's thread, so it must never run SQLite's automatic
    checkpoint inside its COMMIT (api/db/sqlite_checkpoint.py): its own is off, and every so
    many commits a PASSIVE checkpoint runs in a worker thread instead."""
    if engine_name() != "sqlite":
        pytest.skip("the inline writer is SQLite's")
    from api.db import engine, sqlite_checkpoint

    _, cid = await _contact()
    seen: list[bool] = []  # whether each checkpoint ran on the loop's thread
    loop_thread = threading.get_ident()
    real = sqlite_checkpoint.Checkpointer._checkpoint

    def spy(self: sqlite_checkpoint.Checkpointer) -> None:
        seen.append(threading.get_ident() == loop_thread)
        real(self)

    sqlite_checkpoint.Checkpointer._checkpoint = spy  # type: ignore[method-assign]
    try:
        for i in range(2 * sqlite_checkpoint.CHECKPOINT_EVERY + 1):
            async with write_transaction(short=True):
                await contact_store.update(cid, {"note": f"note {i}"})
        pool = engine()._pool()  # type: ignore[attr-defined]
        assert pool.checkpointer is not None
        await pool.checkpointer.close()  # waits for the one running, if any
    finally:
        sqlite_checkpoint.Checkpointer._checkpoint = real  # type: ignore[method-assign]
    row = pool.inline_writer._conn.execute("PRAGMA wal_autocheckpoint").fetchone()
    assert list(row.values()) == [0], "no automatic checkpoint inside its COMMIT"
    assert seen and not any(seen), "checkpoints ran, none on the loop's thread"
