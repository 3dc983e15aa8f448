"""Circles: the defaults every account starts with, listing and editing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.errors import BadRequest, Conflict, NotFound
from api.schemas import CircleOut
from api.store import circles as store
from pipeline.strength.circles import DEFAULT_CIRCLES

CircleInfo = CircleOut  # the old name, for importers


async def create_default_circles(user_id: int) -> None:
    await store.insert(user_id, DEFAULT_CIRCLES)


async def list_circles(user_id: int) -> list[CircleOut]:
    return await store.list_with_counts(user_id)


async def get_circle(user_id: int, circle_id: int) -> CircleOut:
    circle = await store.get(user_id, circle_id)
    if circle is None:
        raise NotFound("no such circle")
    return circle


async def circle_by_name(user_id: int, name: str) -> CircleOut:
    for circle in await store.list_plain(user_id):
        if circle.name.casefold() == name.casefold():
            return circle
    raise NotFound(f"no circle named {name!r}")


async def update_circle(
    user_id: int, circle_id: int, changes: dict[str, Any], now: dt.datetime
) -> CircleOut:
    await get_circle(user_id, circle_id)
    values: dict[str, Any] = {}
    if "name" in changes:
        name = str(changes["name"]).strip()
        if not name:
            raise BadRequest("a circle needs a name")
        if await store.name_taken(user_id, name, other_than=circle_id):
            raise Conflict(f"a circle named {name!r} already exists")
        values["name"] = name
    if "cadence_days" in changes:
        days = int(changes["cadence_days"])
        if not 1 <= days <= 3650:
            raise BadRequest("cadence_days must be between 1 and 3650")
        values["cadence_days"] = days
    if "kin" in changes:
        values["kin"] = bool(changes["kin"])
    if values:
        # The feed shows circle names: its fingerprint holds them (store.feed_tokens).
        await store.update(circle_id, values)
    return next(c for c in await list_circles(user_id) if c.id == circle_id)
