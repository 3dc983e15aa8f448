"""Interactions and their follow-ups: the timeline, the idempotency key, scoring's histories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from api.db import hot
from api.db.tables import Contact, FollowUp, Interaction
from api.schemas import FollowUpOut, InteractionOut
from pipeline.feed.items import FollowUpItem
from pipeline.strength.plan import History
from pipeline.strength.scoring import Event


async def _follow_ups(interaction_ids: list[int]) -> dict[int, FollowUpOut]:
    """The follow-ups of these interactions, by interaction id, in one query."""
    if not interaction_ids:
        return {}
    rows = (
        await FollowUp.select(
            FollowUp.id,
            FollowUp.interaction,
            FollowUp.contact,
            FollowUp.what,
            FollowUp.due_on,
            FollowUp.done,
        )
        .where(FollowUp.interaction.is_in(interaction_ids))
        .run()
    )
    return {
        r["interaction"]: FollowUpOut(r["id"], r["contact"], "", r["what"], r["due_on"], r["done"])
        for r in rows
    }


def _out(row: Mapping[str, Any], follow_up: FollowUpOut | None) -> InteractionOut:
    return InteractionOut(
        id=row["id"],
        contact_id=row["contact"],
        kind=row["kind"],
        at=row["at"],
        direction=row["direction"],
        note=row["note"],
        source=row["source"],
        attendee_count=row["attendee_count"],
        follow_up=follow_up,
    )


async def _outs(rows: list[dict[str, Any]]) -> list[InteractionOut]:
    follow_ups = await _follow_ups([r["id"] for r in rows])  # one query, not one per row
    return [_out(r, follow_ups.get(r["id"])) for r in rows]


async def get(interaction_id: int) -> InteractionOut | None:
    rows = await Interaction.select().where(Interaction.id == interaction_id).run()
    return (await _outs(rows))[0] if rows else None


async def of_contact(contact_id: int) -> list[InteractionOut]:
    """Newest first."""
    rows = (
        await Interaction.select()
        .where(Interaction.contact == contact_id)
        .order_by(Interaction.at, ascending=False)
        .run()
    )
    return await _outs(rows)


# Piccolo's column defaults (api/db/tables.py), for the columns a caller leaves out.
_INSERT_DEFAULTS: dict[str, Any] = {
    "kind": None,
    "at": None,
    "direction": None,
    "note": None,
    "source": "manual",
    "dedup_key": None,
    "attendee_count": None,
    "until": None,
    "created_at": None,
}
_INSERT_COLUMNS = (
    "kind",
    "at",
    "direction",
    "note",
    "source",
    "dedup_key",
    "attendee_count",
    "until",
    "created_at",
)
_INSERT = (
    f'INSERT INTO {Interaction._meta.tablename} ("user", contact, '
    + ", ".join(f'"{c}"' for c in _INSERT_COLUMNS)
    + ") VALUES ("
    + ", ".join("?" * (len(_INSERT_COLUMNS) + 2))
    + ") RETURNING id"
)


async def insert(user_id: int, contact_id: int, values: Mapping[str, Any]) -> int:
    """A new interaction from column values (kind, at, direction, note, source, dedup_key, ...),
    each column not given at its default; inside a write transaction (prepared SQL, one
    statement: this is the write of every logged interaction)."""
    row = {**_INSERT_DEFAULTS, **values}
    unknown = set(row) - set(_INSERT_COLUMNS)
    if unknown:
        raise ValueError(f"not interaction columns: {sorted(unknown)}")
    if row["kind"] is None or row["at"] is None or row["created_at"] is None:
        raise ValueError("an interaction needs its kind, time and creation time")
    got = await hot.write(_INSERT, (user_id, contact_id, *(row[c] for c in _INSERT_COLUMNS)))
    return int(got[0][0])


async def insert_many(user_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
    """Many interactions (each with its `contact`), in statements of 500."""
    objects = [Interaction(user=user_id, **r) for r in rows]
    for i in range(0, len(objects), 500):
        await Interaction.insert(*objects[i : i + 500]).run()


async def contact_of(user_id: int, interaction_id: int) -> int | None:
    row = (
        await Interaction.select(Interaction.contact)
        .where((Interaction.id == interaction_id) & (Interaction.user == user_id))
        .first()
        .run()
    )
    return None if row is None else int(row["contact"])


async def delete(interaction_id: int) -> None:
    await Interaction.delete().where(Interaction.id == interaction_id).run()


_EVENT_COLUMNS = (
    Interaction.id,
    Interaction.contact,
    Interaction.kind,
    Interaction.at,
    Interaction.attendee_count,
    Interaction.direction,
    Interaction.until,
    Interaction.created_at,
)


def _event(row: Mapping[str, Any]) -> Event:
    return Event(
        at=row["at"],
        kind=row["kind"],
        attendee_count=row["attendee_count"],
        direction=row["direction"],
        key=f"id:{row['id']}",
        until=row["until"],
    )


# One contact's history is read by its strength page: prepared SQL (api/db/hot.py).
_HISTORY = (
    f"SELECT id, kind, at, attendee_count, direction, until, created_at"
    f" FROM {Interaction._meta.tablename} WHERE contact = ?"
)


async def history(contact_id: int) -> History:
    rows = await hot.fetch(_HISTORY, (contact_id,), types="..t..dt")
    events = [
        Event(at=r[2], kind=r[1], attendee_count=r[3], direction=r[4], key=f"id:{r[0]}", until=r[5])
        for r in rows
    ]
    return History(events, [r[6] for r in rows])


async def insert_follow_up(
    user_id: int, contact_id: int, interaction_id: int, what: str, due_on: dt.date, now: dt.datetime
) -> int:
    got = (
        await FollowUp.insert(
            FollowUp(
                user=user_id,
                contact=contact_id,
                interaction=interaction_id,
                what=what,
                due_on=due_on,
                changed_at=now,
            )
        )
        .returning(FollowUp.id)
        .run()
    )
    return int(got[0]["id"])


async def follow_up_exists(user_id: int, follow_up_id: int) -> bool:
    where = (FollowUp.id == follow_up_id) & (FollowUp.user == user_id)
    return bool(await FollowUp.exists().where(where).run())


async def complete_follow_up(follow_up_id: int, now: dt.datetime) -> None:
    await (
        FollowUp.update({FollowUp.done: True, FollowUp.done_at: now, FollowUp.changed_at: now})
        .where(FollowUp.id == follow_up_id)
        .run()
    )


# Read by Today on every visit: prepared SQL (api/db/hot.py).
_FOLLOW_UPS = f"""
SELECT f.id, f.contact, c.full_name, f.what, f.due_on, f.done
FROM {FollowUp._meta.tablename} f LEFT JOIN {Contact._meta.tablename} c ON c.id = f.contact
WHERE f."user" = ? AND {{only}}
ORDER BY f.due_on
"""
_OPEN = _FOLLOW_UPS.format(only="f.done = ?")
_ONE = _FOLLOW_UPS.format(only="f.id = ?")


async def follow_ups(user_id: int, include_id: int | None = None) -> list[FollowUpOut]:
    """The open follow-ups by due day, or (with `include_id`) just that one, open or not."""
    if include_id is not None:
        rows = await hot.fetch(_ONE, (user_id, include_id), types="....db")
    else:
        rows = await hot.fetch(_OPEN, (user_id, False), types="....db")
    return [FollowUpOut(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


_FEED_FOLLOW_UPS = f"""
SELECT f.id, f.contact, c.full_name, f.what, f.due_on, f.changed_at
FROM {FollowUp._meta.tablename} f LEFT JOIN {Contact._meta.tablename} c ON c.id = f.contact
WHERE f."user" = ? AND f.done = ?
"""


async def feed_follow_ups(user_id: int) -> list[FollowUpItem]:
    """The open follow-ups, for the feed (prepared SQL: read at every feed re-render)."""
    rows = await hot.fetch(_FEED_FOLLOW_UPS, (user_id, False), types="....dt")
    return [FollowUpItem(f[0], f[1], f[2], f[3], f[4], f[5]) for f in rows]
