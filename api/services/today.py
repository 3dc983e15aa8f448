"""The Today list: reminders due today (or missed), the next seven days, the backlog, follow-ups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from api.db.tables import Contact, Reminder
from api.services.interactions import FollowUpInfo, open_follow_ups
from api.services.strength import BACKLOG, PLANNED, tz_of
from api.services.users import UserInfo


@dataclass(frozen=True)
class TodayItem:
    contact_id: int
    name: str
    circle: str | None
    health: int
    day: dt.date
    last_kind: str | None
    last_at: dt.datetime | None
    has_photo: bool


@dataclass(frozen=True)
class TodayReport:
    today: dt.date
    due: list[TodayItem]
    upcoming: list[TodayItem]
    backlog_count: int
    follow_ups: list[FollowUpInfo]


async def today_report(user: UserInfo, now: dt.datetime) -> TodayReport:
    today = now.astimezone(tz_of(user)).date()
    week = today + dt.timedelta(days=7)
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
        .where((Reminder.user == user.id) & (Reminder.state == PLANNED) & (Reminder.day <= week))
        .order_by(Reminder.day)
        .order_by(Reminder.contact.health)
        .run()
    )
    ids = [r["contact"] for r in rows]
    photos = set()
    if ids:
        with_photo = (
            await Contact.select(Contact.id)
            .where(Contact.id.is_in(ids) & Contact.photo.is_not_null())
            .run()
        )
        photos = {r["id"] for r in with_photo}
    items = [
        TodayItem(
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
    backlog = (
        await Reminder.count().where((Reminder.user == user.id) & (Reminder.state == BACKLOG)).run()
    )
    follow_ups = [f for f in await open_follow_ups(user.id) if f.due_on <= week]
    return TodayReport(
        today=today,
        due=[i for i in items if i.day <= today],
        upcoming=[i for i in items if i.day > today],
        backlog_count=int(backlog),
        follow_ups=follow_ups,
    )
