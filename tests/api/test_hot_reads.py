"""The prepared hot reads (api/db/hot.py) give the values Piccolo gives, typed the same, on both
engines, outside a transaction (SQLite: the inline reader) and inside one (its connection)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from api.db import hot, write_transaction
from api.db.tables import Contact
from api.store import contacts as contact_store
from tests.conftest import make_user

_SQL = (
    "SELECT id, kin, archived, due_on, last_at, created_at, score, full_name"
    ' FROM contact WHERE "user" = ? ORDER BY id'
)
_TYPES = ".bbdtt.."
_COLUMNS = ("id", "kin", "archived", "due_on", "last_at", "created_at", "score", "full_name")


async def _seed(now: dt.datetime) -> int:
    user = await make_user("hot@example.com")
    async with write_transaction():
        await contact_store.insert_many(
            user.id,
            [
                {
                    "full_name": "Ada",
                    "kin": True,
                    "archived": False,
                    "due_on": dt.date(2026, 12, 24),
                    "last_at": now - dt.timedelta(days=3, microseconds=5),
                    "created_at": now,
                    "updated_at": now,
                    "score": 0.25,
                },
                {"full_name": "Bo", "created_at": now, "updated_at": now},
            ],
        )
    return int(user.id)


def _piccolo_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(r[c] for c in _COLUMNS) for r in rows]


async def test_prepared_reads_match_piccolos_values_and_types_in_and_out_of_a_transaction(
    clean_db, clock
):
    user_id = await _seed(clock())
    expected = _piccolo_rows(
        await Contact.select(*(Contact._meta.get_column_by_name(c) for c in _COLUMNS))
        .where(Contact.user == user_id)
        .order_by(Contact.id)
        .run()
    )
    outside = [tuple(r) for r in await hot.fetch(_SQL, (user_id,), _TYPES)]
    async with write_transaction():
        inside = [tuple(r) for r in await hot.fetch(_SQL, (user_id,), _TYPES)]
    assert outside == expected == inside
    for rows in (outside, inside):
        ada, bo = rows
        assert [type(v) for v in ada[1:6]] == [bool, bool, dt.date, dt.datetime, dt.datetime]
        assert ada[4].tzinfo is not None and ada[4] == clock() - dt.timedelta(
            days=3, microseconds=5
        )
        assert bo[1] is False and bo[3] is None and bo[4] is None


async def test_a_prepared_read_inside_a_transaction_sees_that_transactions_own_write(
    clean_db, clock
):
    user_id = await _seed(clock())
    async with write_transaction():
        await contact_store.update(
            (await hot.fetch(_SQL, (user_id,), _TYPES))[0][0], {"full_name": "Ada L."}
        )
        inside = await hot.fetch(_SQL, (user_id,), _TYPES)
        assert inside[0][-1] == "Ada L."
    assert (await hot.fetch(_SQL, (user_id,), _TYPES))[0][-1] == "Ada L."


async def test_a_prepared_read_outside_a_transaction_sees_what_another_connection_committed(
    clean_db, clock
):
    """The inline reader holds no snapshot between statements (autocommit), so a commit made
    through the engine's writer is visible to the next read."""
    user_id = await _seed(clock())
    assert len(await hot.fetch(_SQL, (user_id,), _TYPES)) == 2
    async with write_transaction():
        await contact_store.insert_many(
            user_id, [{"full_name": "Cy", "created_at": clock(), "updated_at": clock()}]
        )
    assert [r[-1] for r in await hot.fetch(_SQL, (user_id,), _TYPES)] == ["Ada", "Bo", "Cy"]


async def test_an_inline_read_sqlite_refuses_is_read_again_in_a_thread_with_the_same_rows(
    clean_db, clock
):
    """SQLite: the inline reader waits only briefly when refused (api/db/sqlite_pool.py); the
    retry in a worker thread gives the very rows the inline read would have."""
    from api.db import engine
    from api.db.sqlite_pool import PooledSQLiteEngine

    eng = engine()
    if not isinstance(eng, PooledSQLiteEngine):
        pytest.skip("PostgreSQL has no inline reader")
    user_id = await _seed(clock())
    inline = eng.inline_reader().execute(_SQL, (user_id,)).fetchall()
    assert await eng.read_slowly(_SQL, (user_id,)) == inline
