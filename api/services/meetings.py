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
from typing import Any

from api.db import write_transaction
from api.errors import NotFound
from api.schemas import MetPersonOut
from api.services.contacts import create_contact
from api.services.strength import refresh_contact
from api.services.users import UserInfo
from api.store import meetings as store
from api.store.meetings import Meeting, MetRow
from pipeline.formats.ics.parse import CalendarMeeting
from pipeline.limits import ATTENDEE_NAME_MAX, EMAIL_MAX
from pipeline.models import CalendarInteraction, ParseResult

MIN_MEETINGS = 2


def meeting_key(kind: str, key: str, contact_id: int) -> str:
    """Unique per user: the calendar key (UID + occurrence) per contact; long ones hashed whole
    rather than cut, so two long UIDs never collide on a shared prefix."""
    full = f"ics:{kind}:{key}:{contact_id}"
    if len(full) <= 200:
        return full
    return "ics:sha256:" + hashlib.sha256(full.encode()).hexdigest()


async def apply_calendar(user: UserInfo, result: ParseResult, now: dt.datetime) -> dict[str, int]:
    """Persist a parsed calendar (the caller holds the write transaction)."""
    items: list[CalendarInteraction] = list(result.interactions or [])
    own = {e.casefold() for e in user.own_emails}
    emails = {e for item in items for e in item.emails if e not in own}
    contacts = await store.contacts_by_email(user.id, emails)
    rows: list[Meeting] = []
    unknown: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    for item in items:
        people = {contacts[e] for e in item.emails if e in contacts}
        for email in item.emails:
            if email not in contacts and email not in own and item.at <= now:
                unknown[email][item.key] = [item.at.isoformat(), item.attendee_count]
        for cid in sorted(people):
            kind = "meeting" if item.at <= now else "planned"
            rows.append(
                Meeting(
                    contact_id=cid,
                    kind=kind,
                    at=item.at,
                    note=item.summary or None,
                    attendee_count=max(2, item.attendee_count),
                    dedup_key=meeting_key(kind, item.key, cid),
                )
            )
    added = await store.insert_meetings(user.id, rows, now)
    names = _names(result)
    await _remember_unknown(user.id, unknown, names)
    return {
        "new": 0,
        "updated": len(set(added)),
        "unchanged": 0,
        "archived": 0,
        "skipped": 0,
        "interactions": len(added),
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
        if len(email) > EMAIL_MAX:
            continue  # no deliverable address is this long (RFC 5321 section 4.5.3.1.3)
        name = names.get(email)
        name = name[:ATTENDEE_NAME_MAX].rstrip() if name else name
        row = await store.find_met(user_id, email=email)
        if row is None:
            keys = sorted([k, *v] for k, v in meetings.items())
            await store.insert_met(user_id, email, name, keys)
            continue
        merged = {m[0]: m[1:] for m in row.meeting_keys} | meetings
        keys = sorted([k, *v] for k, v in merged.items())
        await store.update_met(row.id, row.name or name, keys)


async def people_you_meet(user_id: int) -> list[MetPersonOut]:
    """Attendees met at least twice who are not contacts (and not dismissed), most met first."""
    rows = await store.list_met(user_id, MIN_MEETINGS)
    known = await store.contacts_by_email(user_id, {r.email for r in rows})
    return [r for r in rows if r.email not in known]


async def met_person(user_id: int, met_id: int) -> MetRow:
    row = await store.find_met(user_id, met_id=met_id)
    if row is None:
        raise NotFound("no such person")
    return row


async def dismiss_met_person(user_id: int, met_id: int) -> None:
    await met_person(user_id, met_id)
    await store.dismiss_met(met_id)


async def add_met_person(user: UserInfo, met_id: int, now: dt.datetime) -> int:
    """One tap: the attendee becomes a contact and the meetings already seen count at once."""
    row = await met_person(user.id, met_id)
    name = row.name or row.email
    info = await create_contact(
        user.id, user.region, {"full_name": name, "emails": [row.email]}, now
    )
    async with write_transaction(lock_user=user.id):
        meetings = [
            Meeting(
                contact_id=info.id,
                kind="meeting",
                at=dt.datetime.fromisoformat(at),
                attendee_count=max(2, int(count)),
                dedup_key=meeting_key("meeting", key, info.id),
            )
            for key, at, count in row.meeting_keys
        ]
        await store.insert_meetings(user.id, meetings, now)
        await store.dismiss_met(met_id)
        await refresh_contact(user, info.id, now)
    return info.id
