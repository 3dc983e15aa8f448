"""Reminders: the published plan (one row per contact), what Today and the feed read of it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.db import engine_name, hot
from api.db.tables import Circle, Contact, Reminder
from api.schemas import TodayItemOut
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


# Read by every recorded interaction (re-placing one contact), inside the user's lock: one
# prepared statement (api/db/hot.py) for both the contact's own reminder rows and the count per
# day of everyone else's planned ones, so the lock is held one round trip less. The branches are
# told apart by the id column, never NULL in a stored row.
_OWN_AND_TAKEN = (
    "SELECT id, contact, day, uid, sequence, state, changed_at, NULL"
    f" FROM {Reminder._meta.tablename} WHERE contact = ?"
    " UNION ALL"
    " SELECT NULL, NULL, day, NULL, NULL, NULL, NULL, count(id)"
    f' FROM {Reminder._meta.tablename} WHERE "user" = ? AND state = ?'
    " AND contact <> ? AND day >= ? AND day <= ? GROUP BY day"
)


async def own_and_taken(
    user_id: int, contact_id: int, first: dt.date, last: dt.date
) -> tuple[list[StoredReminder], dict[dt.date, int]]:
    """The contact's reminder rows; and how many planned reminders of everyone else each day in
    [first, last] holds: all that re-placing one contact needs of the others (counted by the
    database, whatever the book)."""
    args = (contact_id, user_id, PLANNED, contact_id, first, last)
    rows = await hot.fetch(_OWN_AND_TAKEN, args, types="..d...t.")
    own = [StoredReminder(*r[:7]) for r in rows if r[0] is not None]  # the fields, in order
    return own, {r[2]: int(r[7]) for r in rows if r[0] is None}


# Read by a recorded interaction whose contact may be placed inside the horizon: from the
# (user, state, day) index alone, the contact's own reminder taken off afterwards.
_TAKEN = (
    f'SELECT day{{}}, count(*) FROM {Reminder._meta.tablename} WHERE "user" = ? AND state = ?'
    " AND day >= ? AND day <= ? GROUP BY day"
)
# On SQLite an expression, so the day comes back as its text without the connection's (Piccolo's)
# per-value converter, parsed once per distinct day by hot.fetch.
_TAKEN_SQLITE, _TAKEN_PG = _TAKEN.format(" || ''"), _TAKEN.format("")


async def taken(
    user_id: int, first: dt.date, last: dt.date, own: Sequence[StoredReminder]
) -> dict[dt.date, int]:
    """`own_and_taken`'s count per day of everyone else's planned reminders, given the
    contact's own rows `own` (read with the contact)."""
    sql = _TAKEN_PG if engine_name() == "postgres" else _TAKEN_SQLITE
    rows = await hot.fetch(sql, (user_id, PLANNED, first, last), types="d.")
    counts = {r[0]: int(r[1]) for r in rows}
    for r in own:
        if r.state == PLANNED and r.day in counts:
            counts[r.day] -= 1
            if not counts[r.day]:
                del counts[r.day]
    return counts


# Every recorded interaction moves its contact's reminder: prepared SQL (api/db/hot.py).
_UPDATE = (
    f"UPDATE {Reminder._meta.tablename} SET state = ?, changed_at = ?, uid = ?, sequence = ?"
    " WHERE id = ?"
)
_UPDATE_MOVED = (
    f"UPDATE {Reminder._meta.tablename}"
    " SET state = ?, changed_at = ?, uid = ?, sequence = ?, day = ? WHERE id = ?"
)


async def save(user_id: int, writes: Sequence[ReminderWrite], now: dt.datetime) -> None:
    """Inside a write transaction (the refresh that planned `writes`)."""
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
        if w.day is not None:
            args = (w.state, now, w.uid, w.sequence, w.day, w.reminder_id)
            await hot.write(_UPDATE_MOVED, args)
        else:
            await hot.write(_UPDATE, (w.state, now, w.uid, w.sequence, w.reminder_id))
    for chunk in _chunks(inserts, 500):
        await Reminder.insert(*chunk).run()


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Today is read on every visit of the app's first screen: prepared SQL (api/db/hot.py). The
# photo column is only tested for NULL, which SQLite answers from the record header without
# reading the picture.
_TODAY = f"""
SELECT r.contact, c.full_name, ci.name, c.health, r.day, c.last_kind, c.last_at,
       c.photo IS NOT NULL
FROM {Reminder._meta.tablename} r
JOIN {Contact._meta.tablename} c ON c.id = r.contact
LEFT JOIN {Circle._meta.tablename} ci ON ci.id = c.circle
WHERE r."user" = ? AND r.state = ? AND r.day <= ? AND c.archived = ?
ORDER BY r.day, c.health
"""
_BACKLOG = f'SELECT count(*) FROM {Reminder._meta.tablename} WHERE "user" = ? AND state = ?'


async def today_items(user_id: int, until: dt.date) -> list[TodayItemOut]:
    """Planned reminders up to `until` of contacts not archived, by day then health."""
    rows = await hot.fetch(_TODAY, (user_id, PLANNED, until, False), types="....d.tb")
    return [TodayItemOut(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]


async def backlog_count(user_id: int) -> int:
    row = await hot.fetch_one(_BACKLOG, (user_id, BACKLOG))
    return int(row[0]) if row else 0


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


# The feed's reads are prepared SQL too (api/db/hot.py): a feed fetch after any change of the
# user's book reads them again, and building the Piccolo queries cost more than running them.
# Bounded by the feed's window of days (index on user, state, day).
_FOR_FEED = f"""
SELECT r.uid, r.contact, c.full_name, r.day, r.sequence, r.changed_at, ci.name, c.health,
       c.last_kind, c.last_at
FROM {Reminder._meta.tablename} r
LEFT JOIN {Contact._meta.tablename} c ON c.id = r.contact
LEFT JOIN {Circle._meta.tablename} ci ON ci.id = c.circle
WHERE r."user" = ? AND r.state = ? AND r.day >= ? AND r.day <= ?
"""


async def for_feed(user_id: int, first: dt.date, last: dt.date) -> list[FeedReminder]:
    """Planned reminders on days in [first, last], with what the feed shows of the contact."""
    rows = await hot.fetch(_FOR_FEED, (user_id, PLANNED, first, last), types="...d.t...t")
    return [FeedReminder(*r) for r in rows]  # the SELECT's columns are the fields, in order
