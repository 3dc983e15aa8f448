"""Calendar meetings: interactions written from calendars, and attendees not yet contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from api.db.tables import ContactKey, Interaction, MetPerson
from api.jsonutil import dump, load_list
from api.schemas import MetPersonOut


@dataclass(frozen=True)
class Meeting:
    """One calendar interaction to write (deduplicated per user by `dedup_key`)."""

    contact_id: int
    kind: str  # "meeting" or "planned"
    at: dt.datetime
    attendee_count: int
    dedup_key: str
    note: str | None = None


@dataclass(frozen=True)
class MetRow:
    id: int
    email: str
    name: str | None
    meetings: int
    meeting_keys: list[list[Any]]  # [key, at (ISO), attendee_count] per meeting


async def contacts_by_email(user_id: int, emails: Iterable[str]) -> dict[str, int]:
    """Contact id by email key, for the given addresses (unknown ones are absent)."""
    found: dict[str, int] = {}
    values = sorted(set(emails))
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


async def insert_meetings(user_id: int, meetings: Sequence[Meeting], now: dt.datetime) -> list[int]:
    """Insert the meetings not yet recorded (same dedup key); the contact of each row added."""
    rows = [
        Interaction(
            user=user_id,
            contact=m.contact_id,
            kind=m.kind,
            at=m.at,
            source="calendar",
            note=m.note,
            attendee_count=m.attendee_count,
            dedup_key=m.dedup_key,
            created_at=now,
        )
        for m in meetings
    ]
    added: list[int] = []
    for i in range(0, len(rows), 500):
        got = (
            await Interaction.insert(*rows[i : i + 500])
            .on_conflict(action="DO NOTHING")
            .returning(Interaction.id, Interaction.contact)
            .run()
        )
        added += [int(r["contact"]) for r in got]
    return added


def _met(row: dict[str, Any]) -> MetRow:
    return MetRow(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        meetings=row["meetings"],
        meeting_keys=load_list(row["meeting_keys"]),
    )


async def find_met(
    user_id: int, *, email: str | None = None, met_id: int | None = None
) -> MetRow | None:
    """The remembered attendee with this email or id, or None."""
    query = MetPerson.select().where(MetPerson.user == user_id)
    if email is not None:
        query = query.where(MetPerson.email == email)
    if met_id is not None:
        query = query.where(MetPerson.id == met_id)
    row = await query.first().run()
    return None if row is None else _met(row)


async def insert_met(
    user_id: int, email: str, name: str | None, meeting_keys: list[list[Any]]
) -> None:
    await MetPerson.insert(
        MetPerson(
            user=user_id,
            email=email,
            name=name,
            meetings=len(meeting_keys),
            meeting_keys=dump(meeting_keys),
        )
    ).run()


async def update_met(met_id: int, name: str | None, meeting_keys: list[list[Any]]) -> None:
    await (
        MetPerson.update(
            {
                MetPerson.meetings: len(meeting_keys),
                MetPerson.meeting_keys: dump(meeting_keys),
                MetPerson.name: name,
            }
        )
        .where(MetPerson.id == met_id)
        .run()
    )


async def list_met(user_id: int, min_meetings: int) -> list[MetPersonOut]:
    """Attendees not dismissed and met at least `min_meetings` times, most met first."""
    rows = (
        await MetPerson.select(MetPerson.id, MetPerson.email, MetPerson.name, MetPerson.meetings)
        .where(
            (MetPerson.user == user_id)
            & MetPerson.dismissed.eq(False)
            & (MetPerson.meetings >= min_meetings)
        )
        .order_by(MetPerson.meetings, ascending=False)
        .order_by(MetPerson.email)
        .run()
    )
    return [MetPersonOut(r["id"], r["email"], r["name"], r["meetings"]) for r in rows]


async def dismiss_met(met_id: int) -> None:
    await MetPerson.update({MetPerson.dismissed: True}).where(MetPerson.id == met_id).run()
