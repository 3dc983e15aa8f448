"""Contacts: listing with search and filters, reading, creating, editing, archiving."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.db import write_transaction
from api.errors import BadRequest, NotFound
from api.schemas import ContactOut
from api.store import circles as circle_store
from api.store import contacts as store
from pipeline.normalize import collapse_ws, normalize_email, normalize_phone, unique
from pipeline.validate import cadence_problem

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


# The contact as every layer sees it: the struct the routes serve.
ContactInfo = ContactOut


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
) -> tuple[list[ContactOut], int]:
    return await store.search(
        user_id,
        q=q,
        circle_id=circle_id,
        untriaged=untriaged,
        archived=archived,
        health_max=health_max,
        health_min=health_min,
        limit=max(1, min(limit, 500)),
        offset=max(0, offset),
    )


async def get_contact(user_id: int, contact_id: int) -> ContactOut:
    contact = await store.get(user_id, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    return contact


async def get_photo(user_id: int, contact_id: int) -> bytes:
    data = await store.photo(user_id, contact_id)
    if data is None:
        raise NotFound("no photo")
    return data


async def ensure_contact(user_id: int, contact_id: int) -> None:
    if not await store.exists(user_id, contact_id):
        raise NotFound("no such contact")


async def find_contact(user_id: int, query: str) -> tuple[int, str]:
    """(id, full name): by email (exact, casefolded), else by name (exact, then unique
    substring), among contacts not archived for names."""
    email = normalize_email(query)
    if email:
        held = await store.by_email_key(user_id, email)
        if held:
            return held
    rows = await store.active_names(user_id)
    wanted = query.casefold().strip()
    exact = [r for r in rows if r[1].casefold() == wanted]
    partial = [r for r in rows if wanted in r[1].casefold()]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"no contact matches {query!r}")
    names = ", ".join(sorted(name for _, name in found)[:5])
    raise BadRequest(f"{query!r} matches {len(found)} contacts ({names}); use the email")


sync_keys = store.sync_keys


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


def _check_cadence(days: object) -> int | None:
    problem = cadence_problem("cadence_override_days", days)
    if problem:
        raise BadRequest(problem)
    return days if isinstance(days, int) else None


async def _circle_ok(user_id: int, circle_id: int | None) -> None:
    if circle_id is None:
        return
    # Ids are int4 on PostgreSQL; a larger number would fail in the driver (a 500), not be absent.
    if not 1 <= circle_id < 2**31 or not await circle_store.exists(user_id, circle_id):
        raise NotFound("no such circle")


async def create_contact(
    user_id: int, region: str, data: dict[str, Any], now: dt.datetime
) -> ContactOut:
    name = collapse_ws(data.get("full_name"))
    if not name:
        raise BadRequest("a contact needs a name")
    lists = _clean_lists(region, data)
    cadence = _check_cadence(data.get("cadence_override_days"))
    circle_id = data.get("circle_id")
    await _circle_ok(user_id, circle_id)
    async with write_transaction(lock_user=user_id):
        values: dict[str, Any] = {
            key: collapse_ws(data.get(key)) for key in EDITABLE_TEXT if key != "note"
        }
        contact_id = await store.insert(
            user_id,
            {
                **values,
                "full_name": name,
                "note": data.get("note") or None,
                "birthday": _check_birthday(data.get("birthday")),
                **{key: lists.get(key, []) for key in EDITABLE_LISTS},
                "circle": circle_id,
                "entered_on": now.date() if circle_id else None,
                "created_at": now,
                "updated_at": now,
                "kin": bool(data.get("kin", False)),
                "cadence_override_days": cadence,
                "source": "manual",
                "edited_fields": sorted(k for k in data if k in (*EDITABLE_TEXT, *EDITABLE_LISTS)),
            },
        )
        await store.sync_keys(user_id, contact_id, lists.get("emails", []), lists.get("phones", []))
    return await get_contact(user_id, contact_id)


async def update_contact(
    user_id: int, region: str, contact_id: int, changes: dict[str, Any], now: dt.datetime
) -> tuple[ContactOut, bool]:
    """Apply a user's edit; returns the contact and whether its schedule inputs changed."""
    async with write_transaction(lock_user=user_id, short=True):
        current = await get_contact(user_id, contact_id)
        values: dict[str, Any] = {}
        edited = set(current.edited_fields)
        for key in EDITABLE_TEXT:
            if key in changes:
                value = changes[key] if key == "note" else collapse_ws(changes[key])
                if key == "full_name" and not value:
                    raise BadRequest("a contact needs a name")
                values[key] = value or ("" if key == "full_name" else None)
                edited.add(key)
        if "birthday" in changes:
            values["birthday"] = _check_birthday(changes["birthday"])
            edited.add("birthday")
        lists = _clean_lists(region, changes)
        for key, value in lists.items():
            values[key] = value
            edited.add(key)
        schedule_changed = False
        if "circle_id" in changes:
            await _circle_ok(user_id, changes["circle_id"])
            values["circle"] = changes["circle_id"]
            if changes["circle_id"] != current.circle_id:
                values["entered_on"] = now.date()  # cold start spreads from this day
            schedule_changed = True
        if "cadence_override_days" in changes:
            values["cadence_override_days"] = _check_cadence(changes["cadence_override_days"])
            schedule_changed = True
        if "kin" in changes:
            values["kin"] = bool(changes["kin"])
            schedule_changed = True
        if values:
            values["edited_fields"] = sorted(edited)
            values["updated_at"] = now
            await store.update(contact_id, values)
        if "emails" in lists or "phones" in lists:
            await store.sync_keys(
                user_id,
                contact_id,
                lists.get("emails", current.emails),
                lists.get("phones", current.phones),
            )
        # Read back inside the transaction: once it committed, nothing here can raise, which the
        # hot write path's no-double-write rule relies on (api/app_hot_write.py).
        return await get_contact(user_id, contact_id), schedule_changed


async def set_archived(
    user_id: int, contact_id: int, archived: bool, now: dt.datetime
) -> ContactOut:
    current = await get_contact(user_id, contact_id)
    # "archived" counts as edited: an import never un-archives what the user archived by hand.
    edited = sorted({*current.edited_fields, "archived"})
    values = {"archived": archived, "updated_at": now, "edited_fields": edited}
    await store.update(contact_id, values)
    return await get_contact(user_id, contact_id)
