"""A user's whole account as rows, for the JSON export, and the inserts that restore it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.table import Table

from api.db.tables import (
    Circle,
    Contact,
    ContactKey,
    FeedToken,
    FollowUp,
    ImportSource,
    Interaction,
    Reminder,
    User,
)

# Export order: a table comes after every table it references, so a restore can map ids.
_TABLES: dict[str, type[Table]] = {
    "circles": Circle,
    "contacts": Contact,
    "contact_keys": ContactKey,
    "interactions": Interaction,
    "follow_ups": FollowUp,
    "reminders": Reminder,
    "sources": ImportSource,
    # Salt and hash only (the URL is derived from them with the server's secret key), so a
    # restore on the same server keeps the feed URL every calendar is subscribed to.
    "feed_tokens": FeedToken,
}
TABLE_NAMES: tuple[str, ...] = tuple(_TABLES)


async def user_row(user_id: int, fields: Sequence[str]) -> dict[str, Any]:
    row = await User.select().where(User.id == user_id).first().run()
    assert row is not None
    return {k: row[k] for k in fields}


async def owned_rows(user_id: int, name: str) -> list[dict[str, Any]]:
    """Every row of table `name` the user owns, by id, without the user column."""
    table = _TABLES[name]
    rows = await table.select().where(table.user == user_id).order_by(table.id).run()  # type: ignore[attr-defined]
    return [{k: v for k, v in r.items() if k != "user"} for r in rows]


async def find_user_id(email: str) -> int | None:
    row = await User.select(User.id).where(User.email == email).first().run()
    return None if row is None else int(row["id"])


async def delete_user(user_id: int) -> None:
    """The account and, by cascade, everything it owns."""
    await User.delete().where(User.id == user_id).run()


async def insert_user(values: dict[str, Any]) -> int:
    row = await User.insert(User(**values)).returning(User.id).run()
    return int(row[0]["id"])


async def ids_taken(name: str | None, ids: Sequence[int]) -> bool:
    """Whether any of `ids` is in use in table `name` (None: the accounts)."""
    if not ids:
        return False
    table = User if name is None else _TABLES[name]
    return bool(await table.exists().where(table.id.is_in(list(ids))).run())  # type: ignore[attr-defined]


async def advance_id_sequences() -> None:
    """After rows were inserted with their own ids: PostgreSQL's serial sequences move past
    them, or the next insert would take an id a restored row holds (SQLite picks max + 1)."""
    tables: list[type[Table]] = [User, *_TABLES.values()]
    for table in tables:
        if table._meta.db.engine_type != "postgres":
            return
        name = table._meta.tablename
        await table.raw(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
            f" GREATEST((SELECT max(id) FROM {name}), 1))"
        ).run()


async def insert_owned(user_id: int, name: str, values: dict[str, Any]) -> int:
    table = _TABLES[name]
    got = await table.insert(table(user=user_id, **values)).returning(table.id).run()  # type: ignore[attr-defined]
    return int(got[0]["id"])


async def contacts_with_circle(user_id: int) -> list[dict[str, Any]]:
    """Every contact (photo excepted) with its circle's name as `circle_name`, by id."""
    return (
        await Contact.select(
            *Contact.all_columns(exclude=[Contact.photo]),
            Contact.circle.name.as_alias("circle_name"),
        )
        .where(Contact.user == user_id)
        .order_by(Contact.id)
        .run()
    )
