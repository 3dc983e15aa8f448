"""The one code path that records an interaction: it stores the event, then updates that
contact's last contact, score, due date and reminder together (strength.refresh_contact)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from api.db import write_transaction
from api.errors import BadRequest, NotFound
from api.schemas import FollowUpOut, InteractionOut
from api.services.strength import (
    Loaded,
    Logged,
    load_for_logging,
    refresh_contact,
    refresh_locked,
    tz_of,
)
from api.services.users import UserInfo
from api.store import circles as circle_store
from api.store import contacts as contact_store
from api.store import interactions as store
from pipeline.strength.circles import UNTRIAGED_CIRCLE
from pipeline.strength.scoring import DIRECTIONS, LIFECYCLE_KINDS, WEIGHTS
from pipeline.validate import follow_up_day_problem, future_day_problem, interaction_day_problem

LOGGABLE_KINDS = tuple(WEIGHTS)


# The old names, for importers: services return the structs the routes serve.
FollowUpInfo = FollowUpOut
InteractionInfo = InteractionOut


@dataclass(frozen=True)
class NewInteraction:
    kind: str
    at: dt.datetime
    note: str | None = None
    direction: str | None = None
    attendee_count: int | None = None
    key: str | None = None  # idempotency / dedup key, unique per user
    source: str = "manual"
    until: dt.date | None = None
    follow_up_what: str | None = None
    follow_up_due: dt.date | None = None


def when(
    user: UserInfo, now: dt.datetime, at: dt.datetime | None, on: dt.date | None
) -> dt.datetime:
    """An explicit time, else noon of the given local day, else now. A day outside 1900 to five
    years ahead is refused before any conversion (year 1 or 9999 would overflow it)."""
    today = now.astimezone(tz_of(user)).date()
    if at is not None:
        _refuse(interaction_day_problem("at", at.date(), today))
        if at.utcoffset() is None:
            at = at.replace(tzinfo=tz_of(user))
        return at.astimezone(dt.UTC)
    if on is not None:
        _refuse(interaction_day_problem("on", on, today))
        return dt.datetime.combine(on, dt.time(12), tzinfo=tz_of(user)).astimezone(dt.UTC)
    return now


def _refuse(problem: str | None) -> None:
    if problem:
        raise BadRequest(problem)


def validate(item: NewInteraction, now: dt.datetime, tz: dt.tzinfo) -> None:
    """Every value that reaches scoring or scheduling, in range (days in the user's zone `tz`)."""
    today = now.astimezone(tz).date()
    if item.kind not in WEIGHTS and item.kind not in LIFECYCLE_KINDS:
        raise BadRequest(f"unknown kind {item.kind!r}; one of {', '.join(LOGGABLE_KINDS)}")
    if item.direction is not None and item.direction not in DIRECTIONS:
        raise BadRequest("direction must be 'out', 'in' or 'both'")
    if item.attendee_count is not None and not 1 <= item.attendee_count <= 10_000:
        raise BadRequest("attendee_count counts everyone present, you included (1 or more)")
    _refuse(interaction_day_problem("at", item.at.date(), today))
    if item.at > now + dt.timedelta(days=1) and item.kind != "planned":
        raise BadRequest("an interaction cannot be in the future; plan a meeting instead")
    if item.key is not None and not 1 <= len(item.key) <= 200:
        raise BadRequest("idempotency_key must have 1 to 200 characters")
    if (item.follow_up_what is None) != (item.follow_up_due is None):
        raise BadRequest("a follow-up needs both what was promised and when")
    if item.follow_up_due is not None:
        logged_on = item.at.astimezone(tz).date()  # in range: checked above
        _refuse(follow_up_day_problem("follow_up.due_on", item.follow_up_due, logged_on, today))
    if item.until is not None:
        _refuse(future_day_problem("until", item.until, today, after_today=True))


async def record_interaction(
    user: UserInfo, contact_id: int, item: NewInteraction, now: dt.datetime
) -> tuple[InteractionOut, bool]:
    """Store the interaction and refresh the contact; returns (interaction, replayed).

    A replay with the same key returns the stored interaction and changes nothing, so an
    offline queue that sends twice never doubles an entry.
    """
    validate(item, now, tz_of(user))
    async with write_transaction(lock_user=user.id, short=True):
        before = await load_for_logging(user, contact_id, item.key)
        if before is None:
            raise NotFound("no such contact")
        loaded = before.loaded
        circle_id = before.loaded[0].circle_id
        held = None if before.held_id is None else await store.get(before.held_id)
        if held is not None:
            if held.contact_id != contact_id:
                raise BadRequest("that idempotency_key was used for another contact")
            return held, True
        interaction_id = await store.insert(
            user.id,
            contact_id,
            {
                "kind": item.kind,
                "at": item.at,
                "direction": item.direction,
                "note": item.note,
                "source": item.source,
                "dedup_key": item.key,
                "attendee_count": item.attendee_count,
                "until": item.until,
                "created_at": now,
            },
        )
        follow_up = None
        if item.follow_up_what and item.follow_up_due:
            what, due = item.follow_up_what, item.follow_up_due
            fid = await store.insert_follow_up(user.id, contact_id, interaction_id, what, due, now)
            follow_up = FollowUpOut(fid, contact_id, "", what, due, False)
        if circle_id is None and item.kind in WEIGHTS and item.source == "manual":
            loaded = await place_in_default_circle(user.id, contact_id, now, before.loaded)
        row = (
            item.at,
            item.kind,
            item.attendee_count,
            item.direction,
            f"id:{interaction_id}",
            item.until,
        )
        logged = Logged(before, row, interaction_id, now)
        await refresh_locked(user, contact_id, now, loaded=loaded, logged=logged)
        # What was just written, as the store would read it back (times in UTC).
        stored = InteractionOut(
            id=interaction_id,
            contact_id=contact_id,
            kind=item.kind,
            at=item.at.astimezone(dt.UTC),
            direction=item.direction,
            note=item.note,
            source=item.source,
            attendee_count=item.attendee_count,
            follow_up=follow_up,
        )
        return stored, False


async def place_in_default_circle(
    user_id: int, contact_id: int, now: dt.datetime, loaded: Loaded
) -> Loaded:
    """Logging with an untriaged contact puts it in Friends (DESIGN.md section 5); returns
    `loaded` (the contact's schedule inputs) as they now are."""
    got = await circle_store.named_or_first(user_id, UNTRIAGED_CIRCLE)
    if got is None:
        return loaded
    circle_id, rule = got
    await contact_store.enter_circle(contact_id, circle_id, now.date(), now)
    return replace(loaded[0], circle_id=circle_id, entered_on=now.date()), {circle_id: rule}


async def list_interactions(user_id: int, contact_id: int) -> list[InteractionOut]:
    if not await contact_store.exists(user_id, contact_id):
        raise NotFound("no such contact")
    return await store.of_contact(contact_id)


async def delete_interaction(user: UserInfo, interaction_id: int, now: dt.datetime) -> int:
    async with write_transaction(lock_user=user.id, short=True):
        contact_id = await store.contact_of(user.id, interaction_id)
        if contact_id is None:
            raise NotFound("no such interaction")
        await store.delete(interaction_id)
        await refresh_contact(user, contact_id, now)
        return contact_id


async def lifecycle(
    user: UserInfo, contact_id: int, kind: str, now: dt.datetime, until: dt.date | None = None
) -> None:
    """Snooze, skip and done are events too (scoring.md 2.8), recorded on the same path."""
    await record_interaction(
        user, contact_id, NewInteraction(kind=kind, at=now, until=until, source="reminder"), now
    )


def snooze_until(
    user: UserInfo, now: dt.datetime, until: dt.date | None, by: str | None
) -> dt.date:
    today = now.astimezone(tz_of(user)).date()
    if until is not None:
        _refuse(future_day_problem("until", until, today, after_today=True))
        return until
    if by == "week":
        return today + dt.timedelta(days=7)
    if by == "month":
        return today + dt.timedelta(days=30)
    raise BadRequest("snooze needs 'until' (a date) or 'by' ('week' or 'month')")


async def complete_follow_up(user: UserInfo, follow_up_id: int, now: dt.datetime) -> FollowUpOut:
    if not await store.follow_up_exists(user.id, follow_up_id):
        raise NotFound("no such follow-up")
    await store.complete_follow_up(follow_up_id, now)
    return (await open_follow_ups(user.id, include_id=follow_up_id))[0]


async def open_follow_ups(user_id: int, include_id: int | None = None) -> list[FollowUpOut]:
    return await store.follow_ups(user_id, include_id)
