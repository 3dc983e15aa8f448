"""Contacts and their keys: the contact page's shape (ContactOut), search, edits, derived columns.

The field list of a contact is ContactOut's, written once in api/schemas.py: the columns read
here follow it (`circle_id` and `circle` come from the circle reference; `has_photo` and
`reminder_on` from the photo column and the published Reminder).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

import msgspec

from api.db import engine_name, hot
from api.db.tables import Circle, Contact, ContactKey, Reminder
from api.jsonutil import dump
from api.schemas import ContactOut
from pipeline.feed.items import BirthdayItem
from pipeline.strength.plan import ContactState, Derived

LIST_FIELDS = frozenset({"emails", "phones", "urls", "groups", "edited_fields"})
DERIVED_FIELDS = tuple(f.name for f in fields(Derived))
_LIKE_ESCAPE = "!"  # not a backslash: PostgreSQL and SQLite read '!' the same in any string mode


def like_literal(text: str) -> str:
    """`text` as a LIKE pattern matching only itself: `%` and `_` are wildcards otherwise."""
    for char in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, _LIKE_ESCAPE + char)
    return text


# The contacts list and the contact page are read on every visit: prepared SQL (api/db/hot.py),
# one statement for the page (circle name, photo present and the planned reminder's day joined
# in; the photo column is only tested for NULL, answered from SQLite's record header).
def _select_item(name: str) -> str:
    if name == "circle_id":
        return "c.circle"
    if name == "circle":
        return "ci.name"
    if name == "has_photo":
        return "c.photo IS NOT NULL"
    if name == "reminder_on":
        return "r.day"
    return f'c."{name}"'


# A contact has at most one reminder row (unique index on reminder.contact): the join adds none.
_FROM = (
    f"FROM {Contact._meta.tablename} c LEFT JOIN {Circle._meta.tablename} ci ON ci.id = c.circle"
    f" LEFT JOIN {Reminder._meta.tablename} r ON r.contact = c.id AND r.state = 'planned'"
)
_SELECT = f"SELECT {', '.join(_select_item(f) for f in ContactOut.__struct_fields__)} {_FROM}"
_FIELDS = ContactOut.__struct_fields__
_LIST_AT = tuple(i for i, f in enumerate(_FIELDS) if f in LIST_FIELDS)
_SCORE_AT = _FIELDS.index("score")
_KINDS = {
    **dict.fromkeys(("kin", "archived", "has_photo"), "b"),
    **dict.fromkeys(("due_on", "not_before", "reminder_on"), "d"),
    **dict.fromkeys(("last_at", "created_at", "updated_at"), "t"),
}
_TYPES = "".join(_KINDS.get(f, ".") for f in _FIELDS)
_list_of_str = msgspec.json.Decoder(list[Any])


def _item(row: Sequence[Any]) -> ContactOut:
    values = list(row)
    decode = _list_of_str.decode
    for i in _LIST_AT:  # inline, not a helper's call: five per row, 250 per page of 50
        text = values[i]
        values[i] = decode(text) if text and text != "[]" else []
    values[_SCORE_AT] = float(values[_SCORE_AT])
    return ContactOut(*values)


def _like(column: str) -> str:
    # SQLite's LIKE is already case-insensitive for ASCII; PostgreSQL needs ILIKE.
    op = "ILIKE" if engine_name() == "postgres" else "LIKE"
    return f"c.{column} {op} ? ESCAPE '{_LIKE_ESCAPE}'"


async def search(
    user_id: int,
    *,
    q: str | None,
    circle_id: int | None,
    untriaged: bool,
    archived: bool,
    health_max: int | None,
    health_min: int | None,
    limit: int,
    offset: int,
) -> tuple[list[ContactOut], int]:
    where = ['c."user" = ?', "c.archived = ?"]
    args: list[Any] = [user_id, archived]
    if q:
        pattern = f"%{like_literal(q.strip())}%"
        cols = ("full_name", "emails", "organization", "nickname")
        where.append("(" + " OR ".join(_like(col) for col in cols) + ")")
        args += [pattern] * len(cols)
    if circle_id is not None:
        where.append("c.circle = ?")
        args.append(circle_id)
    if untriaged:
        where.append("c.circle IS NULL")
    if health_max is not None:
        where.append("c.health <= ?")
        args.append(health_max)
    if health_min is not None:
        where.append("c.health >= ?")
        args.append(health_min)
    condition = " AND ".join(where)
    counted = await hot.fetch_one(
        f"SELECT count(*) FROM {Contact._meta.tablename} c WHERE {condition}", args
    )
    rows = await hot.fetch(
        f"{_SELECT} WHERE {condition} ORDER BY c.full_name, c.id LIMIT ? OFFSET ?",
        [*args, limit, offset],
        _TYPES,
    )
    return [_item(r) for r in rows], int(counted[0]) if counted else 0


async def get(user_id: int, contact_id: int) -> ContactOut | None:
    row = await hot.fetch_one(
        f'{_SELECT} WHERE c.id = ? AND c."user" = ?', (contact_id, user_id), _TYPES
    )
    return None if row is None else _item(row)


async def photo(user_id: int, contact_id: int) -> bytes | None:
    row = (
        await Contact.select(Contact.photo)
        .where((Contact.id == contact_id) & (Contact.user == user_id))
        .first()
        .run()
    )
    return None if row is None or row["photo"] is None else bytes(row["photo"])


async def exists(user_id: int, contact_id: int) -> bool:
    where = (Contact.id == contact_id) & (Contact.user == user_id)
    return bool(await Contact.exists().where(where).run())


def _stored(values: Mapping[str, Any]) -> dict[str, Any]:
    """The list fields as the JSON text they are stored as."""
    return {k: dump(v) if k in LIST_FIELDS else v for k, v in values.items()}


def _values(values: Mapping[str, Any]) -> dict[Any, Any]:
    """Column -> stored value."""
    return {Contact._meta.get_column_by_name(k): v for k, v in _stored(values).items()}


async def insert(user_id: int, values: Mapping[str, Any]) -> int:
    """A new contact from field values (column names; `circle` is the circle id)."""
    row = Contact(user=user_id, **_stored(values))
    got = await Contact.insert(row).returning(Contact.id).run()
    return int(got[0]["id"])


async def insert_many(user_id: int, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Many new contacts, in order; their ids in the same order."""
    objects = [Contact(user=user_id, **_stored(r)) for r in rows]
    ids: list[int] = []
    for i in range(0, len(objects), 200):
        got = await Contact.insert(*objects[i : i + 200]).returning(Contact.id).run()
        ids += [int(r["id"]) for r in got]
    return ids


_ENTER_CIRCLE = (
    f"UPDATE {Contact._meta.tablename} SET circle = ?, entered_on = ?, updated_at = ? WHERE id = ?"
)


async def enter_circle(
    contact_id: int, circle_id: int, entered_on: dt.date, now: dt.datetime
) -> None:
    """`update` of the circle columns, as prepared SQL (inside the logging that placed it)."""
    await hot.write(_ENTER_CIRCLE, (circle_id, entered_on, now, contact_id))


async def update(contact_id: int, values: Mapping[str, Any]) -> None:
    await Contact.update(_values(values)).where(Contact.id == contact_id).run()


async def sync_keys(user_id: int, contact_id: int, emails: list[str], phones: list[str]) -> None:
    """Email and phone keys follow the contact's lists; a key another contact holds is left there."""
    await (
        ContactKey.delete()
        .where((ContactKey.contact == contact_id) & ContactKey.kind.is_in(["email", "phone"]))
        .run()
    )
    wanted = [("email", e) for e in emails] + [("phone", p) for p in phones]
    if not wanted:
        return
    taken = (
        await ContactKey.select(ContactKey.kind, ContactKey.value)
        .where((ContactKey.user == user_id) & ContactKey.value.is_in([v for _, v in wanted]))
        .run()
    )
    held = {(r["kind"], r["value"]) for r in taken}
    rows = [
        ContactKey(user=user_id, contact=contact_id, kind=k, value=v)
        for k, v in wanted
        if (k, v) not in held
    ]
    if rows:
        await ContactKey.insert(*rows).run()


async def insert_keys(user_id: int, keys: Sequence[tuple[int, str, str]]) -> None:
    """(contact id, kind, value) keys, all new."""
    rows = [ContactKey(user=user_id, contact=c, kind=k, value=v) for c, k, v in keys]
    if rows:
        await ContactKey.insert(*rows).run()


async def by_email_key(user_id: int, email: str) -> tuple[int, str] | None:
    """(id, full name) of the contact holding this email key."""
    row = (
        await ContactKey.select(ContactKey.contact, ContactKey.contact.full_name.as_alias("n"))
        .where(
            (ContactKey.user == user_id)
            & (ContactKey.kind == "email")
            & (ContactKey.value == email)
        )
        .first()
        .run()
    )
    return None if row is None else (int(row["contact"]), str(row["n"]))


async def active_names(user_id: int) -> list[tuple[int, str]]:
    """(id, full name) of every contact not archived."""
    rows = (
        await Contact.select(Contact.id, Contact.full_name)
        .where((Contact.user == user_id) & Contact.archived.eq(False))
        .run()
    )
    return [(int(r["id"]), str(r["full_name"])) for r in rows]


async def circle_of(user_id: int, contact_id: int) -> tuple[bool, int | None]:
    """(exists, circle id) of a contact of this user."""
    row = (
        await Contact.select(Contact.circle)
        .where((Contact.id == contact_id) & (Contact.user == user_id))
        .first()
        .run()
    )
    return (False, None) if row is None else (True, row["circle"])


_STATE_COLUMNS = (
    Contact.id,
    Contact.circle,
    Contact.kin,
    Contact.cadence_override_days,
    Contact.archived,
    Contact.entered_on,
    Contact.created_at,
)


def _state(row: Mapping[str, Any], *, full: bool = False) -> ContactState:
    return ContactState(
        id=row["id"],
        circle_id=row["circle"],
        kin=row["kin"],
        cadence_override_days=row["cadence_override_days"],
        archived=row["archived"],
        entered_on=row["entered_on"],
        created_at=row["created_at"],
        updated_at=row["updated_at"] if full else None,
        derived=Derived(*(row[f] for f in DERIVED_FIELDS)) if full else None,
    )


# Read by every contact's strength page: prepared SQL (api/db/hot.py).
_STATE = (
    "SELECT id, circle, kin, cadence_override_days, archived, entered_on, created_at"
    f' FROM {Contact._meta.tablename} WHERE id = ? AND "user" = ?'
)


async def schedule_state(user_id: int, contact_id: int) -> ContactState | None:
    """What scheduling needs of one contact (without its stored derived values)."""
    row = await hot.fetch_one(_STATE, (contact_id, user_id), types="..b.bdt")
    if row is None:
        return None
    return ContactState(
        id=row[0],
        circle_id=row[1],
        kin=row[2],
        cadence_override_days=row[3],
        archived=row[4],
        entered_on=row[5],
        created_at=row[6],
    )


_BIRTHDAYS = (
    f"SELECT c.id, c.full_name, c.birthday, c.updated_at FROM {Contact._meta.tablename} c"
    ' WHERE c."user" = ? AND c.archived = ? AND c.birthday IS NOT NULL'
)


async def birthdays(user_id: int) -> list[BirthdayItem]:
    """The birthdays of contacts not archived, for the feed (prepared SQL: read at every feed
    re-render)."""
    rows = await hot.fetch(_BIRTHDAYS, (user_id, False), types="...t")
    return [BirthdayItem(p[0], p[1], p[2], p[3]) for p in rows]
