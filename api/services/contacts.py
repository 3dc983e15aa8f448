"""Contacts: listing with search and filters, reading, creating, editing, archiving."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from api.db import engine_name, write_transaction
from api.db.tables import Circle, Contact, ContactKey, Reminder
from api.errors import BadRequest, NotFound
from api.jsonutil import dump, load_list
from pipeline.normalize import collapse_ws, normalize_email, normalize_phone, unique

EDITABLE_TEXT = (
    "full_name",
    "given_name",
    "family_name",
    "nickname",
    "organization",
    "title",
    "note",
)
EDITABLE_LISTS = ("emails", "phones", "urls", "groups")


@dataclass(frozen=True)
class ContactInfo:
    id: int
    full_name: str
    given_name: str | None
    family_name: str | None
    nickname: str | None
    organization: str | None
    title: str | None
    birthday: str | None
    note: str | None
    emails: list[str]
    phones: list[str]
    urls: list[str]
    groups: list[str]
    circle_id: int | None
    circle: str | None
    cadence_override_days: int | None
    kin: bool
    archived: bool
    health: int
    score: float
    due_on: dt.date | None
    last_at: dt.datetime | None
    last_kind: str | None
    has_photo: bool
    not_before: dt.date | None
    reminder_on: dt.date | None
    source: str | None
    edited_fields: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime


_COLUMNS = (
    Contact.id,
    Contact.full_name,
    Contact.given_name,
    Contact.family_name,
    Contact.nickname,
    Contact.organization,
    Contact.title,
    Contact.birthday,
    Contact.note,
    Contact.emails,
    Contact.phones,
    Contact.urls,
    Contact.groups,
    Contact.circle,
    Contact.circle.name.as_alias("circle_name"),
    Contact.cadence_override_days,
    Contact.kin,
    Contact.archived,
    Contact.health,
    Contact.score,
    Contact.due_on,
    Contact.last_at,
    Contact.last_kind,
    Contact.not_before,
    Contact.source,
    Contact.edited_fields,
    Contact.created_at,
    Contact.updated_at,
)


def contact_info(
    row: dict[str, Any], has_photo: bool = False, reminder_on: dt.date | None = None
) -> ContactInfo:
    return ContactInfo(
        id=row["id"],
        full_name=row["full_name"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        nickname=row["nickname"],
        organization=row["organization"],
        title=row["title"],
        birthday=row["birthday"],
        note=row["note"],
        emails=load_list(row["emails"]),
        phones=load_list(row["phones"]),
        urls=load_list(row["urls"]),
        groups=load_list(row["groups"]),
        circle_id=row["circle"],
        circle=row.get("circle_name"),
        cadence_override_days=row["cadence_override_days"],
        kin=row["kin"],
        archived=row["archived"],
        health=row["health"],
        score=float(row["score"]),
        due_on=row["due_on"],
        last_at=row["last_at"],
        last_kind=row["last_kind"],
        has_photo=has_photo,
        not_before=row["not_before"],
        reminder_on=reminder_on,
        source=row["source"],
        edited_fields=load_list(row["edited_fields"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


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


async def _photo_flags(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    rows = (
        await Contact.select(Contact.id)
        .where(Contact.id.is_in(ids) & Contact.photo.is_not_null())
        .run()
    )
    return {r["id"] for r in rows}


async def list_contacts(
    user_id: int,
    *,
    q: str | None = None,
    circle_id: int | None = None,
    untriaged: bool = False,
    archived: bool = False,
    health_max: int | None = None,
    health_min: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ContactInfo], int]:
    where = (Contact.user == user_id) & (Contact.archived.eq(archived))
    if q:
        pattern = f"%{q.strip()}%"
        # SQLite's LIKE is already case-insensitive for ASCII; PostgreSQL needs ILIKE.
        op = "ilike" if engine_name() == "postgres" else "like"
        cols = (Contact.full_name, Contact.emails, Contact.organization, Contact.nickname)
        matches = [getattr(col, op)(pattern) for col in cols]
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
        .limit(max(1, min(limit, 500)))
        .offset(max(0, offset))
        .run()
    )
    ids = [r["id"] for r in rows]
    photos = await _photo_flags(ids)
    days = await _reminder_days(ids)
    return [contact_info(r, r["id"] in photos, days.get(r["id"])) for r in rows], total


async def get_contact(user_id: int, contact_id: int) -> ContactInfo:
    row = (
        await Contact.select(*_COLUMNS)
        .where((Contact.id == contact_id) & (Contact.user == user_id))
        .first()
        .run()
    )
    if row is None:
        raise NotFound("no such contact")
    days = await _reminder_days([contact_id])
    return contact_info(row, bool(await _photo_flags([contact_id])), days.get(contact_id))


async def get_photo(user_id: int, contact_id: int) -> bytes:
    row = (
        await Contact.select(Contact.photo)
        .where((Contact.id == contact_id) & (Contact.user == user_id))
        .first()
        .run()
    )
    if row is None or row["photo"] is None:
        raise NotFound("no photo")
    return bytes(row["photo"])


async def ensure_contact(user_id: int, contact_id: int) -> None:
    exists = (
        await Contact.exists().where((Contact.id == contact_id) & (Contact.user == user_id)).run()
    )
    if not exists:
        raise NotFound("no such contact")


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


def _clean_lists(user_region: str, changes: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if "emails" in changes:
        emails = []
        for raw in changes["emails"] or []:
            email = normalize_email(str(raw))
            if email is None:
                raise BadRequest(f"{raw!r} is not an email address")
            emails.append(email)
        out["emails"] = unique(emails)
    if "phones" in changes:
        phones = [normalize_phone(str(p), user_region) for p in changes["phones"] or []]
        out["phones"] = unique([p for p in phones if p])
    for key in ("urls", "groups"):
        if key in changes:
            out[key] = unique([s for s in (collapse_ws(str(v)) for v in changes[key] or []) if s])
    return out


def _check_birthday(value: object) -> str | None:
    if value in (None, ""):
        return None
    text = str(value)
    try:
        if text.startswith("--"):
            dt.date(2000, int(text[2:4]), int(text[5:7]))
            if len(text) != 7 or text[4] != "-":
                raise ValueError
        else:
            dt.date.fromisoformat(text)
    except (ValueError, IndexError):
        raise BadRequest("birthday must be YYYY-MM-DD or --MM-DD") from None
    return text


async def _circle_ok(user_id: int, circle_id: int | None) -> None:
    if circle_id is None:
        return
    ok = await Circle.exists().where((Circle.id == circle_id) & (Circle.user == user_id)).run()
    if not ok:
        raise NotFound("no such circle")


async def create_contact(
    user_id: int, region: str, data: dict[str, Any], now: dt.datetime
) -> ContactInfo:
    name = collapse_ws(data.get("full_name"))
    if not name:
        raise BadRequest("a contact needs a name")
    lists = _clean_lists(region, data)
    circle_id = data.get("circle_id")
    await _circle_ok(user_id, circle_id)
    async with write_transaction():
        row = (
            await Contact.insert(
                Contact(
                    user=user_id,
                    full_name=name,
                    given_name=collapse_ws(data.get("given_name")),
                    family_name=collapse_ws(data.get("family_name")),
                    nickname=collapse_ws(data.get("nickname")),
                    organization=collapse_ws(data.get("organization")),
                    title=collapse_ws(data.get("title")),
                    note=(data.get("note") or None),
                    birthday=_check_birthday(data.get("birthday")),
                    emails=dump(lists.get("emails", [])),
                    phones=dump(lists.get("phones", [])),
                    urls=dump(lists.get("urls", [])),
                    groups=dump(lists.get("groups", [])),
                    circle=circle_id,
                    entered_on=now.date() if circle_id else None,
                    created_at=now,
                    updated_at=now,
                    kin=bool(data.get("kin", False)),
                    cadence_override_days=data.get("cadence_override_days"),
                    source="manual",
                    edited_fields=dump(
                        sorted(k for k in data if k in (*EDITABLE_TEXT, *EDITABLE_LISTS))
                    ),
                )
            )
            .returning(Contact.id)
            .run()
        )
        contact_id = int(row[0]["id"])
        await sync_keys(user_id, contact_id, lists.get("emails", []), lists.get("phones", []))
    return await get_contact(user_id, contact_id)


async def update_contact(
    user_id: int, region: str, contact_id: int, changes: dict[str, Any], now: dt.datetime
) -> tuple[ContactInfo, bool]:
    """Apply a user's edit; returns the contact and whether its schedule inputs changed."""
    async with write_transaction():
        current = await get_contact(user_id, contact_id)
        values: dict[Any, Any] = {}
        edited = set(current.edited_fields)
        for key in EDITABLE_TEXT:
            if key in changes:
                value = changes[key] if key == "note" else collapse_ws(changes[key])
                if key == "full_name" and not value:
                    raise BadRequest("a contact needs a name")
                values[Contact._meta.get_column_by_name(key)] = value or (
                    "" if key == "full_name" else None
                )
                edited.add(key)
        if "birthday" in changes:
            values[Contact.birthday] = _check_birthday(changes["birthday"])
            edited.add("birthday")
        lists = _clean_lists(region, changes)
        for key, value in lists.items():
            values[Contact._meta.get_column_by_name(key)] = dump(value)
            edited.add(key)
        schedule_changed = False
        if "circle_id" in changes:
            await _circle_ok(user_id, changes["circle_id"])
            values[Contact.circle] = changes["circle_id"]
            if changes["circle_id"] != current.circle_id:
                values[Contact.entered_on] = now.date()  # cold start spreads from this day
            schedule_changed = True
        if "cadence_override_days" in changes:
            days = changes["cadence_override_days"]
            if days is not None and not 1 <= int(days) <= 3650:
                raise BadRequest("cadence_override_days must be between 1 and 3650")
            values[Contact.cadence_override_days] = days
            schedule_changed = True
        if "kin" in changes:
            values[Contact.kin] = bool(changes["kin"])
            schedule_changed = True
        if values:
            values[Contact.edited_fields] = dump(sorted(edited))
            values[Contact.updated_at] = now
            await Contact.update(values).where(Contact.id == contact_id).run()
        if "emails" in lists or "phones" in lists:
            await sync_keys(
                user_id,
                contact_id,
                lists.get("emails", current.emails),
                lists.get("phones", current.phones),
            )
    return await get_contact(user_id, contact_id), schedule_changed


async def set_archived(
    user_id: int, contact_id: int, archived: bool, now: dt.datetime
) -> ContactInfo:
    current = await get_contact(user_id, contact_id)
    # "archived" counts as edited: an import never un-archives what the user archived by hand.
    edited = dump(sorted({*current.edited_fields, "archived"}))
    await (
        Contact.update(
            {Contact.archived: archived, Contact.updated_at: now, Contact.edited_fields: edited}
        )
        .where(Contact.id == contact_id)
        .run()
    )
    return await get_contact(user_id, contact_id)
