"""Meetings from calendar exports become interactions with known contacts (issue: calendar).

Past meetings are `meeting` interactions; future ones are `planned` events that hold the contact's
reminder back until the day after. The dedup key (UID + RECURRENCE-ID, per contact) makes a
re-import of the same calendar create nothing new. Attendees who are not contacts yet are
remembered, so people met at least twice can be offered as "people you meet but have not added".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from api.db.tables import ContactKey, Interaction, MetPerson
from api.jsonutil import dump, load_list
from api.services.users import UserInfo
from pipeline.formats.ics.parse import CalendarMeeting
from pipeline.models import CalendarInteraction, ParseResult

MIN_MEETINGS = 2


def meeting_key(kind: str, key: str, contact_id: int) -> str:
    """Unique per user: the calendar key (UID + occurrence) per contact; long ones hashed whole
    rather than cut, so two long UIDs never collide on a shared prefix."""
    full = f"ics:{kind}:{key}:{contact_id}"
    if len(full) <= 200:
        return full
    return "ics:sha256:" + hashlib.sha256(full.encode()).hexdigest()


@dataclass(frozen=True)
class MetPersonInfo:
    id: int
    email: str
    name: str | None
    meetings: int


async def _contacts_by_email(user_id: int, emails: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    values = sorted(emails)
    for i in range(0, len(values), 500):
        rows = (
            await ContactKey.select(ContactKey.value, ContactKey.contact)
            .where(
                (ContactKey.user == user_id)
                & (ContactKey.kind == "email")
                & ContactKey.value.is_in(values[i : i + 500])
            )
            .run()
        )
        found.update({r["value"]: r["contact"] for r in rows})
    return found


async def apply_calendar(user: UserInfo, result: ParseResult, now: dt.datetime) -> dict[str, int]:
    """Persist a parsed calendar (the caller holds the write transaction)."""
    items: list[CalendarInteraction] = list(result.interactions or [])
    own = {e.casefold() for e in user.own_emails}
    emails = {e for item in items for e in item.emails if e not in own}
    contacts = await _contacts_by_email(user.id, emails)
    rows = []
    unknown: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    for item in items:
        people = {contacts[e] for e in item.emails if e in contacts}
        for email in item.emails:
            if email not in contacts and email not in own and item.at <= now:
                unknown[email][item.key] = [item.at.isoformat(), item.attendee_count]
        for cid in sorted(people):
            kind = "meeting" if item.at <= now else "planned"
            rows.append(
                Interaction(
                    user=user.id,
                    contact=cid,
                    kind=kind,
                    at=item.at,
                    source="calendar",
                    note=item.summary or None,
                    attendee_count=max(2, item.attendee_count),
                    dedup_key=meeting_key(kind, item.key, cid),
                    created_at=now,
                )
            )
    added = 0
    touched: set[int] = set()
    for i in range(0, len(rows), 500):
        got = (
            await Interaction.insert(*rows[i : i + 500])
            .on_conflict(action="DO NOTHING")
            .returning(Interaction.id, Interaction.contact)
            .run()
        )
        added += len(got)
        touched.update(r["contact"] for r in got)
    names = _names(result)
    await _remember_unknown(user.id, unknown, names)
    return {
        "new": 0,
        "updated": len(touched),
        "unchanged": 0,
        "archived": 0,
        "skipped": 0,
        "interactions": added,
    }


def _names(result: ParseResult) -> dict[str, str]:
    """CN display names by email, as the calendar parser saw them (first name seen wins)."""
    names: dict[str, str] = {}
    for item in result.interactions or []:
        if isinstance(item, CalendarMeeting):
            for email, name in item.names:
                names.setdefault(email, name)
    return names


async def _remember_unknown(
    user_id: int, unknown: dict[str, dict[str, list[Any]]], names: dict[str, str]
) -> None:
    """Each remembered meeting is `[key, at, attendee_count]`, so adding the person later can
    turn them into interactions at once."""
    for email, meetings in sorted(unknown.items()):
        row = (
            await MetPerson.select()
            .where((MetPerson.user == user_id) & (MetPerson.email == email))
            .first()
            .run()
        )
        if row is None:
            await MetPerson.insert(
                MetPerson(
                    user=user_id,
                    email=email,
                    name=names.get(email),
                    meetings=len(meetings),
                    meeting_keys=dump(sorted([k, *v] for k, v in meetings.items())),
                )
            ).run()
            continue
        merged = {m[0]: m[1:] for m in load_list(row["meeting_keys"])} | meetings
        await (
            MetPerson.update(
                {
                    MetPerson.meetings: len(merged),
                    MetPerson.meeting_keys: dump(sorted([k, *v] for k, v in merged.items())),
                    MetPerson.name: row["name"] or names.get(email),
                }
            )
            .where(MetPerson.id == row["id"])
            .run()
        )


async def people_you_meet(user_id: int) -> list[MetPersonInfo]:
    """Attendees met at least twice who are not contacts (and not dismissed), most met first."""
    rows = (
        await MetPerson.select()
        .where(
            (MetPerson.user == user_id)
            & MetPerson.dismissed.eq(False)
            & (MetPerson.meetings >= MIN_MEETINGS)
        )
        .order_by(MetPerson.meetings, ascending=False)
        .order_by(MetPerson.email)
        .run()
    )
    known = await _contacts_by_email(user_id, {r["email"] for r in rows})
    return [
        MetPersonInfo(r["id"], r["email"], r["name"], r["meetings"])
        for r in rows
        if r["email"] not in known
    ]


async def met_person(user_id: int, met_id: int) -> dict[str, Any]:
    from api.errors import NotFound

    row = (
        await MetPerson.select()
        .where((MetPerson.id == met_id) & (MetPerson.user == user_id))
        .first()
        .run()
    )
    if row is None:
        raise NotFound("no such person")
    return row


async def dismiss_met_person(user_id: int, met_id: int) -> None:
    await met_person(user_id, met_id)
    await MetPerson.update({MetPerson.dismissed: True}).where(MetPerson.id == met_id).run()


async def add_met_person(user: UserInfo, met_id: int, now: dt.datetime) -> int:
    """One tap: the attendee becomes a contact and the meetings already seen count at once."""
    from api.db import write_transaction
    from api.services.contacts import create_contact
    from api.services.strength import refresh_contact

    row = await met_person(user.id, met_id)
    name = row["name"] or row["email"]
    info = await create_contact(
        user.id, user.region, {"full_name": name, "emails": [row["email"]]}, now
    )
    async with write_transaction():
        meetings = [
            Interaction(
                user=user.id,
                contact=info.id,
                kind="meeting",
                at=dt.datetime.fromisoformat(at),
                source="calendar",
                attendee_count=max(2, int(count)),
                dedup_key=meeting_key("meeting", key, info.id),
                created_at=now,
            )
            for key, at, count in load_list(row["meeting_keys"])
        ]
        if meetings:
            await Interaction.insert(*meetings).on_conflict(action="DO NOTHING").run()
        await MetPerson.update({MetPerson.dismissed: True}).where(MetPerson.id == met_id).run()
        await refresh_contact(user, info.id, now)
    return info.id
