"""/api/circles: list and edit."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch
from litestar.params import JSONBody

from api.routes.deps import IdPath, current_user, now
from api.schemas import CircleOut, CirclePatch, changes_of
from api.services import circles, strength


@get("/api/circles")
async def list_circles(request: Request[Any, Any, Any]) -> list[CircleOut]:
    return await circles.list_circles(current_user(request).id)


@patch("/api/circles/{circle_id:int}")
async def update_circle(
    circle_id: IdPath, data: JSONBody[CirclePatch], request: Request[Any, Any, Any]
) -> CircleOut:
    user = current_user(request)
    changes = changes_of(data)
    info = await circles.update_circle(user.id, circle_id, changes, now(request))
    if "cadence_days" in changes or "kin" in changes:
        await strength.refresh_user(user, now(request))
    return info
