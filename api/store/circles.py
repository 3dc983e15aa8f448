"""Circles: a user's circles with their member counts, the rules scoring reads, edits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from piccolo.query.functions.aggregate import Count

from api.db import hot
from api.db.tables import Circle, Contact
from api.schemas import CircleOut
from pipeline.strength.circles import Circle as CircleRule


async def insert(user_id: int, circles: Sequence[CircleRule]) -> None:
    """New circles, positioned in the order given."""
    await Circle.insert(
        *[
            Circle(
                user=user_id,
                name=c.name,
                cadence_days=c.cadence_days,
                slack=c.slack,
                tier=c.tier,
                kin=c.kin,
                position=i,
            )
            for i, c in enumerate(circles)
        ]
    ).run()


def _out(row: Mapping[str, Any], count: int) -> CircleOut:
    return CircleOut(
        id=row["id"],
        name=row["name"],
        cadence_days=row["cadence_days"],
        kin=row["kin"],
        tier=row["tier"],
        slack=float(row["slack"]),
        position=row["position"],
        contact_count=count,
    )


async def list_with_counts(user_id: int) -> list[CircleOut]:
    """By position, each with its number of contacts not archived."""
    rows = await Circle.select().where(Circle.user == user_id).order_by(Circle.position).run()
    counts = await (
        Contact.select(Contact.circle, Count(Contact.id, alias="n"))
        .where((Contact.user == user_id) & (Contact.archived.eq(False)))
        .group_by(Contact.circle)
        .run()
    )
    by_circle = {r["circle"]: int(r["n"]) for r in counts}
    return [_out(r, by_circle.get(r["id"], 0)) for r in rows]


async def list_plain(user_id: int) -> list[CircleOut]:
    """Without counts (contact_count 0), in storage order."""
    rows = await Circle.select().where(Circle.user == user_id).run()
    return [_out(r, 0) for r in rows]


async def get(user_id: int, circle_id: int) -> CircleOut | None:
    row = (
        await Circle.select()
        .where((Circle.id == circle_id) & (Circle.user == user_id))
        .first()
        .run()
    )
    return None if row is None else _out(row, 0)


async def exists(user_id: int, circle_id: int) -> bool:
    where = (Circle.id == circle_id) & (Circle.user == user_id)
    return bool(await Circle.exists().where(where).run())


# Read by every contact's strength page: prepared SQL (api/db/hot.py).
_RULES = f'SELECT id, name, cadence_days, slack, tier, kin FROM {Circle._meta.tablename} WHERE "user" = ?'


async def rules(user_id: int) -> dict[int, CircleRule]:
    """What scoring needs of each circle, by id."""
    rows = await hot.fetch(_RULES, (user_id,))
    return {
        r[0]: CircleRule(
            name=r[1], cadence_days=int(r[2]), slack=float(r[3]), tier=int(r[4]), kin=bool(r[5])
        )
        for r in rows
    }


async def ids_by_name(user_id: int) -> dict[str, int]:
    rows = await Circle.select(Circle.id, Circle.name).where(Circle.user == user_id).run()
    return {r["name"]: r["id"] for r in rows}


# Read when an untriaged contact is logged with (it enters that circle): prepared SQL, inside
# the logging's write transaction. Exactly the name first, then by position.
_NAMED_OR_FIRST = (
    f"SELECT id, name, cadence_days, slack, tier, kin FROM {Circle._meta.tablename}"
    ' WHERE "user" = ? ORDER BY name = ? DESC, position, id LIMIT 1'
)


async def named_or_first(user_id: int, name: str) -> tuple[int, CircleRule] | None:
    """The circle with exactly this name, else the first by position, with its rule, in one
    statement."""
    row = await hot.fetch_one(_NAMED_OR_FIRST, (user_id, name), types=".....b")
    if row is None:
        return None
    return int(row[0]), CircleRule(row[1], int(row[2]), float(row[3]), int(row[4]), bool(row[5]))


async def name_taken(user_id: int, name: str, other_than: int) -> bool:
    where = (Circle.user == user_id) & (Circle.name == name) & (Circle.id != other_than)
    return bool(await Circle.exists().where(where).run())


async def update(circle_id: int, values: Mapping[str, Any]) -> None:
    columns: dict[Any, Any] = {Circle._meta.get_column_by_name(k): v for k, v in values.items()}
    await Circle.update(columns).where(Circle.id == circle_id).run()
