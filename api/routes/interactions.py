"""Interactions, strength, Today and the reminder actions (snooze, skip, done)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.params import JSONBody

from api.routes.deps import IdPath, current_user, now
from api.schemas import (
    DeletedOut,
    DoneIn,
    FollowUpOut,
    InteractionIn,
    InteractionOut,
    LoggedOut,
    SnoozeIn,
    StrengthOut,
    TodayOut,
)
from api.services import contacts, interactions, strength, today
from api.services.interactions import NewInteraction
from api.services.users import UserInfo


@post("/api/contacts/{contact_id:int}/interactions")
async def log_interaction(
    contact_id: IdPath, data: JSONBody[InteractionIn], request: Request[Any, Any, Any]
) -> Response[LoggedOut]:
    user, at_now = current_user(request), now(request)
    info, replayed = await interactions.record_interaction(
        user, contact_id, new_interaction(user, at_now, data), at_now
    )
    contact = await contacts.get_contact(user.id, contact_id)
    return Response(LoggedOut(info, contact, replayed), status_code=200 if replayed else 201)


def new_interaction(user: UserInfo, at_now: dt.datetime, data: InteractionIn) -> NewInteraction:
    """The logged event as the service takes it (api/app_hot_write.py builds it the same way)."""
    return NewInteraction(
        kind=data.kind,
        at=interactions.when(user, at_now, data.at, data.on),
        note=data.note,
        direction=data.direction,
        attendee_count=data.attendee_count,
        key=data.idempotency_key,
        follow_up_what=data.follow_up.what if data.follow_up else None,
        follow_up_due=data.follow_up.due_on if data.follow_up else None,
    )


@get("/api/contacts/{contact_id:int}/interactions")
async def list_interactions(
    contact_id: IdPath, request: Request[Any, Any, Any]
) -> list[InteractionOut]:
    return await interactions.list_interactions(current_user(request).id, contact_id)


@delete("/api/interactions/{interaction_id:int}", status_code=200)
async def delete_interaction(interaction_id: IdPath, request: Request[Any, Any, Any]) -> DeletedOut:
    user = current_user(request)
    contact_id = await interactions.delete_interaction(user, interaction_id, now(request))
    return DeletedOut(True, await contacts.get_contact(user.id, contact_id))


@get("/api/contacts/{contact_id:int}/strength")
async def contact_strength(contact_id: IdPath, request: Request[Any, Any, Any]) -> StrengthOut:
    report = await strength.strength_report(current_user(request), contact_id, now(request))
    return msgspec.convert(report, StrengthOut)


@get("/api/today")
async def get_today(request: Request[Any, Any, Any]) -> TodayOut:
    return await today.today_report(current_user(request), now(request))


@post("/api/contacts/{contact_id:int}/snooze", status_code=200)
async def snooze(
    contact_id: IdPath, data: JSONBody[SnoozeIn], request: Request[Any, Any, Any]
) -> Any:
    user, at_now = current_user(request), now(request)
    until = interactions.snooze_until(user, at_now, data.until, data.by)
    await interactions.lifecycle(user, contact_id, "snooze", at_now, until)
    return await contacts.get_contact(user.id, contact_id)


@post("/api/contacts/{contact_id:int}/skip", status_code=200)
async def skip(contact_id: IdPath, request: Request[Any, Any, Any]) -> Any:
    user = current_user(request)
    await interactions.lifecycle(user, contact_id, "skip", now(request))
    return await contacts.get_contact(user.id, contact_id)


@post("/api/contacts/{contact_id:int}/done", status_code=200)
async def done(contact_id: IdPath, data: JSONBody[DoneIn], request: Request[Any, Any, Any]) -> Any:
    """Done means "I reached out": it logs a real interaction (scoring.md 2.8), a message unless
    the user says which kind, so the clock resets and this reminder leaves the feed."""
    user, at = current_user(request), now(request)
    item = NewInteraction(kind=data.kind, at=at, direction="out", key=data.idempotency_key)
    await interactions.record_interaction(user, contact_id, item, at)
    return await contacts.get_contact(user.id, contact_id)


@post("/api/follow-ups/{follow_up_id:int}/done", status_code=200)
async def follow_up_done(follow_up_id: IdPath, request: Request[Any, Any, Any]) -> FollowUpOut:
    return await interactions.complete_follow_up(current_user(request), follow_up_id, now(request))
