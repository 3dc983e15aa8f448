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

from piccolo.columns.combination import Where
from piccolo.columns.operators.comparison import ComparisonOperator

from api.db import engine_name
from api.db.tables import Contact, ContactKey, Reminder
from api.jsonutil import dump, load_list
from api.schemas import ContactOut
from pipeline.feed.render import BirthdayItem
from pipeline.strength.plan import ContactState, Derived

LIST_FIELDS = frozenset({"emails", "phones", "urls", "groups", "edited_fields"})
_COMPUTED = frozenset({"has_photo", "reminder_on"})
DERIVED_FIELDS = tuple(f.name for f in fields(Derived))
_LIKE_ESCAPE = "!"  # not a backslash: PostgreSQL and SQLite read '!' the same in any string mode


class _LikeLiteral(ComparisonOperator):
    template = "{name} LIKE {value} ESCAPE '!'"


class _ILikeLiteral(ComparisonOperator):
    template = "{name} ILIKE {value} ESCAPE '!'"


def like_literal(text: str) -> str:
    """`text` as a LIKE pattern matching only itself: `%` and `_` are wildcards otherwise."""
    for char in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, _LIKE_ESCAPE + char)
    return text


def _column(name: str) -> Any:
    if name == "circle_id":
        return Contact.circle.as_alias("circle_id")
    if name == "circle":
        return Contact.circle.name.as_alias("circle")
    return Contact._meta.get_column_by_name(name)


_COLUMNS = tuple(_column(f) for f in ContactOut.__struct_fields__ if f not in _COMPUTED)


def _out(row: Mapping[str, Any], has_photo: bool, reminder_on: dt.date | None) -> ContactOut:
    values: dict[str, Any] = {
        name: load_list(row[name]) if name in LIST_FIELDS else row[name]
        for name in ContactOut.__struct_fields__
        if name not in _COMPUTED
    }
    values["score"] = float(values["score"])
    return ContactOut(**values, has_photo=has_photo, reminder_on=reminder_on)


async def _reminder_days(ids: list[int]) -> dict[int, dt.date]:
    """The next planned reconnect day of each contact (the published plan)."""
    if not ids:
        return {}
    rows = (
        await Reminder.select(Reminder.contact, Reminder.day)
        .where(Reminder.contact.is_in(ids) & (Reminder.state == "planned"))
        .run()
    )
    return {r["contact"]: r["day"] for r in rows}


async def with_photo(ids: list[int]) -> set[int]:
    """Which of these contacts have a photo (the photo itself is not read)."""
    if not ids:
        return set()
    rows = (
        await Contact.select(Contact.id)
        .where(Contact.id.is_in(ids) & Contact.photo.is_not_null())
        .run()
    )
    return {r["id"] for r in rows}


async def _outs(rows: list[dict[str, Any]]) -> list[ContactOut]:
    ids = [r["id"] for r in rows]
    photos = await with_photo(ids)
    days = await _reminder_days(ids)
    return [_out(r, r["id"] in photos, days.get(r["id"])) for r in rows]


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
    where = (Contact.user == user_id) & (Contact.archived.eq(archived))
    if q:
        pattern = f"%{like_literal(q.strip())}%"
        # SQLite's LIKE is already case-insensitive for ASCII; PostgreSQL needs ILIKE.
        op = _ILikeLiteral if engine_name() == "postgres" else _LikeLiteral
        cols = (Contact.full_name, Contact.emails, Contact.organization, Contact.nickname)
        matches = [Where(column=col, value=pattern, operator=op) for col in cols]
        where &= matches[0] | matches[1] | matches[2] | matches[3]
    if circle_id is not None:
        where &= Contact.circle == circle_id
    if untriaged:
        where &= Contact.circle.is_null()
    if health_max is not None:
        where &= Contact.health <= health_max
    if health_min is not None:
        where &= Contact.health >= health_min
    total = int(await Contact.count().where(where).run())
    rows = await (
        Contact.select(*_COLUMNS)
        .where(where)
        .order_by(Contact.full_name)
        .order_by(Contact.id)
        .limit(limit)
        .offset(offset)
        .run()
    )
    return await _outs(rows), total


async def get(user_id: int, contact_id: int) -> ContactOut | None:
    row = (
        await Contact.select(*_COLUMNS)
        .where((Contact.id == contact_id) & (Contact.user == user_id))
        .first()
        .run()
    )
    return None if row is None else (await _outs([row]))[0]


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


async def schedule_state(user_id: int, contact_id: int) -> ContactState | None:
    """What scheduling needs of one contact (without its stored derived values)."""
    row = (
        await Contact.select(*_STATE_COLUMNS)
        .where((Contact.id == contact_id) & (Contact.user == user_id))
        .first()
        .run()
    )
    return None if row is None else _state(row)


async def birthdays(user_id: int) -> list[BirthdayItem]:
    """The birthdays of contacts not archived, for the feed."""
    rows = (
        await Contact.select(Contact.id, Contact.full_name, Contact.birthday, Contact.updated_at)
        .where(
            (Contact.user == user_id) & Contact.birthday.is_not_null() & Contact.archived.eq(False)
        )
        .run()
    )
    return [BirthdayItem(p["id"], p["full_name"], p["birthday"], p["updated_at"]) for p in rows]
