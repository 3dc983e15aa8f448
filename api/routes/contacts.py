"""/api/contacts: list, search, read, create, edit, archive."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, patch, post
from litestar.params import FromQuery, JSONBody, Parameter

from api.routes.deps import MAX_ID, IdPath, current_user, now
from api.schemas import ContactIn, ContactOut, ContactPage, ContactPatch, changes_of
from api.services import contacts, hooks


@get("/api/contacts")
async def list_contacts(
    request: Request[Any, Any, Any],
    q: FromQuery[str | None] = None,
    circle_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
    untriaged: FromQuery[bool] = False,
    archived: FromQuery[bool] = False,
    health_max: Annotated[int | None, Parameter(ge=0, le=100)] = None,
    health_min: Annotated[int | None, Parameter(ge=0, le=100)] = None,
    limit: int = Parameter(default=50, ge=1, le=500),
    offset: int = Parameter(default=0, ge=0, le=MAX_ID),
) -> ContactPage:
    items, total = await contacts.list_contacts(
        current_user(request).id,
        q=q,
        circle_id=circle_id,
        untriaged=untriaged,
        archived=archived,
        health_max=health_max,
        health_min=health_min,
        limit=limit,
        offset=offset,
    )
    return ContactPage(items, total, limit, offset)


@post("/api/contacts")
async def create_contact(data: JSONBody[ContactIn], request: Request[Any, Any, Any]) -> ContactOut:
    user = current_user(request)
    info = await contacts.create_contact(
        user.id, user.region, msgspec.to_builtins(data), now(request)
    )
    if info.circle_id is not None:
        await hooks.contact_schedule_changed(user, info.id, now(request))
        info = await contacts.get_contact(user.id, info.id)
    return info


@get("/api/contacts/{contact_id:int}")
async def get_contact(contact_id: IdPath, request: Request[Any, Any, Any]) -> ContactOut:
    return await contacts.get_contact(current_user(request).id, contact_id)


@get("/api/contacts/{contact_id:int}/photo", media_type="image/jpeg")
async def get_photo(contact_id: IdPath, request: Request[Any, Any, Any]) -> Response[bytes]:
    data = await contacts.get_photo(current_user(request).id, contact_id)
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )


@patch("/api/contacts/{contact_id:int}")
async def update_contact(
    contact_id: IdPath, data: JSONBody[ContactPatch], request: Request[Any, Any, Any]
) -> ContactOut:
    user = current_user(request)
    info, schedule_changed = await contacts.update_contact(
        user.id, user.region, contact_id, changes_of(data), now(request)
    )
    if schedule_changed:
        await hooks.contact_schedule_changed(user, contact_id, now(request))
        info = await contacts.get_contact(user.id, contact_id)
    return info


@post("/api/contacts/{contact_id:int}/archive", status_code=200)
async def archive_contact(contact_id: IdPath, request: Request[Any, Any, Any]) -> ContactOut:
    user = current_user(request)
    info = await contacts.set_archived(user.id, contact_id, True, now(request))
    await hooks.contact_schedule_changed(user, contact_id, now(request))
    return info


@post("/api/contacts/{contact_id:int}/unarchive", status_code=200)
async def unarchive_contact(contact_id: IdPath, request: Request[Any, Any, Any]) -> ContactOut:
    user = current_user(request)
    info = await contacts.set_archived(user.id, contact_id, False, now(request))
    await hooks.contact_schedule_changed(user, contact_id, now(request))
    return info
