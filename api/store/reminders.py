"""Reminders: the published plan (one row per contact), what Today and the feed read of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from api.db.tables import Reminder
from api.schemas import TodayItemOut
from api.store.contacts import with_photo
from pipeline.strength.plan import BACKLOG, PLANNED, ReminderWrite, StoredReminder

_STORED = (
    Reminder.id,
    Reminder.contact,
    Reminder.day,
    Reminder.uid,
    Reminder.sequence,
    Reminder.state,
    Reminder.changed_at,
)


def _stored(row: Mapping[str, Any]) -> StoredReminder:
    return StoredReminder(
        id=row["id"],
        contact_id=row["contact"],
        day=row["day"],
        uid=row["uid"],
        sequence=row["sequence"],
        state=row["state"],
        changed_at=row["changed_at"],
    )


async def of_user(user_id: int) -> list[StoredReminder]:
    rows = await Reminder.select(*_STORED).where(Reminder.user == user_id).run()
    return [_stored(r) for r in rows]


async def own(contact_id: int) -> list[StoredReminder]:
    rows = await Reminder.select(*_STORED).where(Reminder.contact == contact_id).run()
    return [_stored(r) for r in rows]


async def taken(user_id: int, contact_id: int, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """How many planned reminders of everyone else each day in [first, last] holds: all that
    re-placing one contact needs of the others (counted by the database, whatever the book)."""
    rows = (
        await Reminder.select(Reminder.day, Count(Reminder.id, alias="n"))
        .where(
            (Reminder.user == user_id)
            & (Reminder.state == PLANNED)
            & (Reminder.contact != contact_id)
            & (Reminder.day >= first)
            & (Reminder.day <= last)
        )
        .group_by(Reminder.day)
        .run()
    )
    return {r["day"]: int(r["n"]) for r in rows}


async def save(user_id: int, writes: Sequence[ReminderWrite], now: dt.datetime) -> None:
    inserts = []
    for w in writes:
        if w.reminder_id is None:
            inserts.append(
                Reminder(
                    user=user_id,
                    contact=w.contact_id,
                    day=w.day,
                    uid=w.uid,
                    sequence=w.sequence,
                    state=w.state,
                    changed_at=now,
                )
            )
            continue
        values: dict[Any, Any] = {Reminder.state: w.state, Reminder.changed_at: now}
        if w.day is not None:
            values[Reminder.day] = w.day
        values[Reminder.uid] = w.uid
        values[Reminder.sequence] = w.sequence
        await Reminder.update(values).where(Reminder.id == w.reminder_id).run()
    for chunk in _chunks(inserts, 500):
        await Reminder.insert(*chunk).run()


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def today_items(user_id: int, until: dt.date) -> list[TodayItemOut]:
    """Planned reminders up to `until` of contacts not archived, by day then health."""
    rows = (
        await Reminder.select(
            Reminder.contact,
            Reminder.day,
            Reminder.contact.full_name.as_alias("name"),
            Reminder.contact.circle.name.as_alias("circle"),  # type: ignore[union-attr]
            Reminder.contact.health.as_alias("health"),
            Reminder.contact.last_kind.as_alias("last_kind"),
            Reminder.contact.last_at.as_alias("last_at"),
            Reminder.contact.archived.as_alias("archived"),
        )
        .where((Reminder.user == user_id) & (Reminder.state == PLANNED) & (Reminder.day <= until))
        .order_by(Reminder.day)
        .order_by(Reminder.contact.health)
        .run()
    )
    photos = await with_photo([r["contact"] for r in rows])
    return [
        TodayItemOut(
            contact_id=r["contact"],
            name=r["name"],
            circle=r["circle"],
            health=r["health"],
            day=r["day"],
            last_kind=r["last_kind"],
            last_at=r["last_at"],
            has_photo=r["contact"] in photos,
        )
        for r in rows
        if not r["archived"]
    ]


async def backlog_count(user_id: int) -> int:
    where = (Reminder.user == user_id) & (Reminder.state == BACKLOG)
    return int(await Reminder.count().where(where).run())


@dataclass(frozen=True, slots=True)
class FeedReminder:
    uid: str
    contact_id: int
    name: str
    day: dt.date
    sequence: int
    changed_at: dt.datetime
    circle: str | None
    health: int
    last_kind: str | None
    last_at: dt.datetime | None


async def for_feed(user_id: int, first: dt.date, last: dt.date) -> list[FeedReminder]:
    """Planned reminders on days in [first, last], with what the feed shows of the contact."""
    rows = (
        await Reminder.select(
            Reminder.uid,
            Reminder.contact,
            Reminder.day,
            Reminder.sequence,
            Reminder.changed_at,
            Reminder.contact.full_name.as_alias("name"),
            Reminder.contact.circle.name.as_alias("circle"),  # type: ignore[union-attr]
            Reminder.contact.health.as_alias("health"),
            Reminder.contact.last_kind.as_alias("last_kind"),
            Reminder.contact.last_at.as_alias("last_at"),
        )
        .where(
            (Reminder.user == user_id)
            & (Reminder.state == PLANNED)
            & (Reminder.day >= first)
            & (Reminder.day <= last)
        )
        .run()
    )
    return [
        FeedReminder(
            r["uid"],
            r["contact"],
            r["name"],
            r["day"],
            r["sequence"],
            r["changed_at"],
            r["circle"],
            r["health"],
            r["last_kind"],
            r["last_at"],
        )
        for r in rows
    ]
