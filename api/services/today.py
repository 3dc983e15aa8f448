"""The Today list: reminders due today (or missed), the next seven days, the backlog, follow-ups."""

from __future__ import annotations

import datetime as dt

from api.schemas import TodayItemOut, TodayOut
from api.services.interactions import open_follow_ups
from api.services.strength import tz_of
from api.services.users import UserInfo
from api.store import reminders as reminder_store

# The old names, for importers: the service returns the structs the route serves.
TodayItem = TodayItemOut
TodayReport = TodayOut


async def today_report(user: UserInfo, now: dt.datetime) -> TodayOut:
    today = now.astimezone(tz_of(user)).date()
    week = today + dt.timedelta(days=7)
    items = await reminder_store.today_items(user.id, week)
    backlog = await reminder_store.backlog_count(user.id)
    follow_ups = [f for f in await open_follow_ups(user.id) if f.due_on <= week]
    return TodayOut(
        today=today,
        due=[i for i in items if i.day <= today],
        upcoming=[i for i in items if i.day > today],
        backlog_count=backlog,
        follow_ups=follow_ups,
    )
