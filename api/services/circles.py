"""Circles: the defaults every account starts with, listing and editing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from api.db.tables import Circle, Contact
from api.errors import BadRequest, Conflict, NotFound
from pipeline.strength.circles import DEFAULT_CIRCLES


@dataclass(frozen=True)
class CircleInfo:
    id: int
    name: str
    cadence_days: int
    kin: bool
    tier: int
    slack: float
    position: int
    contact_count: int


async def create_default_circles(user_id: int) -> None:
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
            for i, c in enumerate(DEFAULT_CIRCLES)
        ]
    ).run()


async def list_circles(user_id: int) -> list[CircleInfo]:
    rows = await Circle.select().where(Circle.user == user_id).order_by(Circle.position).run()
    counts = await (
        Contact.select(Contact.circle, Count(Contact.id, alias="n"))
        .where((Contact.user == user_id) & (Contact.archived.eq(False)))
        .group_by(Contact.circle)
        .run()
    )
    by_circle = {r["circle"]: int(r["n"]) for r in counts}
    return [_info(r, by_circle.get(r["id"], 0)) for r in rows]


def _info(row: dict[str, Any], count: int) -> CircleInfo:
    return CircleInfo(
        id=row["id"],
        name=row["name"],
        cadence_days=row["cadence_days"],
        kin=row["kin"],
        tier=row["tier"],
        slack=float(row["slack"]),
        position=row["position"],
        contact_count=count,
    )


async def get_circle(user_id: int, circle_id: int) -> dict[str, Any]:
    row = (
        await Circle.select()
        .where((Circle.id == circle_id) & (Circle.user == user_id))
        .first()
        .run()
    )
    if row is None:
        raise NotFound("no such circle")
    return row


async def circle_by_name(user_id: int, name: str) -> dict[str, Any]:
    rows = await Circle.select().where(Circle.user == user_id).run()
    for row in rows:
        if row["name"].casefold() == name.casefold():
            return row
    raise NotFound(f"no circle named {name!r}")


async def update_circle(
    user_id: int, circle_id: int, changes: dict[str, Any], now: dt.datetime
) -> CircleInfo:
    await get_circle(user_id, circle_id)
    values: dict[Any, Any] = {}
    if "name" in changes:
        name = str(changes["name"]).strip()
        if not name:
            raise BadRequest("a circle needs a name")
        clash = (
            await Circle.exists()
            .where((Circle.user == user_id) & (Circle.name == name) & (Circle.id != circle_id))
            .run()
        )
        if clash:
            raise Conflict(f"a circle named {name!r} already exists")
        values[Circle.name] = name
    if "cadence_days" in changes:
        days = int(changes["cadence_days"])
        if not 1 <= days <= 3650:
            raise BadRequest("cadence_days must be between 1 and 3650")
        values[Circle.cadence_days] = days
    if "kin" in changes:
        values[Circle.kin] = bool(changes["kin"])
    if values:
        await Circle.update(values).where(Circle.id == circle_id).run()
        if Circle.name in values:
            # The feed shows circle names: touching the members makes its fingerprint change.
            await (
                Contact.update({Contact.updated_at: Contact.updated_at})
                .where(Contact.circle == circle_id)
                .run()
            )
    return next(c for c in await list_circles(user_id) if c.id == circle_id)
