"""The one code path that records an interaction: it stores the event, then updates that
contact's last contact, score, due date and reminder together (strength.refresh_contact)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from api.db import write_transaction
from api.db.tables import Circle, Contact, FollowUp, Interaction
from api.errors import BadRequest, NotFound
from api.services.strength import refresh_contact, tz_of
from api.services.users import UserInfo
from pipeline.strength.circles import UNTRIAGED_CIRCLE
from pipeline.strength.scoring import DIRECTIONS, LIFECYCLE_KINDS, WEIGHTS

LOGGABLE_KINDS = tuple(WEIGHTS)


@dataclass(frozen=True)
class FollowUpInfo:
    id: int
    contact_id: int
    name: str
    what: str
    due_on: dt.date
    done: bool


@dataclass(frozen=True)
class InteractionInfo:
    id: int
    contact_id: int
    kind: str
    at: dt.datetime
    direction: str | None
    note: str | None
    source: str
    attendee_count: int | None
    follow_up: FollowUpInfo | None


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
    """An explicit time, else noon of the given local day, else now."""
    if at is not None:
        if at.utcoffset() is None:
            at = at.replace(tzinfo=tz_of(user))
        return at.astimezone(dt.UTC)
    if on is not None:
        return dt.datetime.combine(on, dt.time(12), tzinfo=tz_of(user)).astimezone(dt.UTC)
    return now


def validate(item: NewInteraction, now: dt.datetime) -> None:
    if item.kind not in WEIGHTS and item.kind not in LIFECYCLE_KINDS:
        raise BadRequest(f"unknown kind {item.kind!r}; one of {', '.join(LOGGABLE_KINDS)}")
    if item.direction is not None and item.direction not in DIRECTIONS:
        raise BadRequest("direction must be 'out', 'in' or 'both'")
    if item.attendee_count is not None and not 1 <= item.attendee_count <= 10_000:
        raise BadRequest("attendee_count counts everyone present, you included (1 or more)")
    if item.at > now + dt.timedelta(days=1) and item.kind != "planned":
        raise BadRequest("an interaction cannot be in the future; plan a meeting instead")
    if item.key is not None and not 1 <= len(item.key) <= 200:
        raise BadRequest("idempotency_key must have 1 to 200 characters")
    if (item.follow_up_what is None) != (item.follow_up_due is None):
        raise BadRequest("a follow-up needs both what was promised and when")


async def _existing(user_id: int, key: str) -> dict[str, Any] | None:
    row = (
        await Interaction.select()
        .where((Interaction.user == user_id) & (Interaction.dedup_key == key))
        .first()
        .run()
    )
    return row


async def record_interaction(
    user: UserInfo, contact_id: int, item: NewInteraction, now: dt.datetime
) -> tuple[InteractionInfo, bool]:
    """Store the interaction and refresh the contact; returns (interaction, replayed).

    A replay with the same key returns the stored interaction and changes nothing, so an
    offline queue that sends twice never doubles an entry.
    """
    validate(item, now)
    async with write_transaction():
        contact = (
            await Contact.select(Contact.id, Contact.circle, Contact.full_name)
            .where((Contact.id == contact_id) & (Contact.user == user.id))
            .first()
            .run()
        )
        if contact is None:
            raise NotFound("no such contact")
        if item.key is not None:
            held = await _existing(user.id, item.key)
            if held is not None:
                if held["contact"] != contact_id:
                    raise BadRequest("that idempotency_key was used for another contact")
                return await _info(held), True
        row = (
            await Interaction.insert(
                Interaction(
                    user=user.id,
                    contact=contact_id,
                    kind=item.kind,
                    at=item.at,
                    direction=item.direction,
                    note=item.note,
                    source=item.source,
                    dedup_key=item.key,
                    attendee_count=item.attendee_count,
                    until=item.until,
                    created_at=now,
                )
            )
            .returning(Interaction.id)
            .run()
        )
        interaction_id = int(row[0]["id"])
        if item.follow_up_what and item.follow_up_due:
            await FollowUp.insert(
                FollowUp(
                    user=user.id,
                    contact=contact_id,
                    interaction=interaction_id,
                    what=item.follow_up_what,
                    due_on=item.follow_up_due,
                    changed_at=now,
                )
            ).run()
        if contact["circle"] is None and item.kind in WEIGHTS and item.source == "manual":
            await place_in_default_circle(user.id, contact_id, now)
        await refresh_contact(user, contact_id, now)
        stored = await Interaction.select().where(Interaction.id == interaction_id).first().run()
        assert stored is not None
        return await _info(stored), False


async def place_in_default_circle(user_id: int, contact_id: int, now: dt.datetime) -> None:
    """Logging with an untriaged contact puts it in Friends (DESIGN.md section 5)."""
    circle = (
        await Circle.select(Circle.id)
        .where((Circle.user == user_id) & (Circle.name == UNTRIAGED_CIRCLE))
        .first()
        .run()
    )
    if circle is None:
        circle = (
            await Circle.select(Circle.id)
            .where(Circle.user == user_id)
            .order_by(Circle.position)
            .first()
            .run()
        )
    if circle is not None:
        await (
            Contact.update(
                {
                    Contact.circle: circle["id"],
                    Contact.entered_on: now.date(),
                    Contact.updated_at: now,
                }
            )
            .where(Contact.id == contact_id)
            .run()
        )


async def _follow_ups(interaction_ids: list[int]) -> dict[int, FollowUpInfo]:
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
        r["interaction"]: FollowUpInfo(r["id"], r["contact"], "", r["what"], r["due_on"], r["done"])
        for r in rows
    }


def _info_of(row: dict[str, Any], follow_up: FollowUpInfo | None) -> InteractionInfo:
    return InteractionInfo(
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


async def _info(row: dict[str, Any]) -> InteractionInfo:
    return _info_of(row, (await _follow_ups([row["id"]])).get(row["id"]))


async def list_interactions(user_id: int, contact_id: int) -> list[InteractionInfo]:
    exists = (
        await Contact.exists().where((Contact.id == contact_id) & (Contact.user == user_id)).run()
    )
    if not exists:
        raise NotFound("no such contact")
    rows = (
        await Interaction.select()
        .where(Interaction.contact == contact_id)
        .order_by(Interaction.at, ascending=False)
        .run()
    )
    follow_ups = await _follow_ups([r["id"] for r in rows])  # one query, not one per row
    return [_info_of(r, follow_ups.get(r["id"])) for r in rows]


async def delete_interaction(user: UserInfo, interaction_id: int, now: dt.datetime) -> int:
    async with write_transaction():
        row = (
            await Interaction.select(Interaction.contact)
            .where((Interaction.id == interaction_id) & (Interaction.user == user.id))
            .first()
            .run()
        )
        if row is None:
            raise NotFound("no such interaction")
        await Interaction.delete().where(Interaction.id == interaction_id).run()
        await refresh_contact(user, row["contact"], now)
        return int(row["contact"])


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
        if until <= today:
            raise BadRequest("snooze until a day after today")
        return until
    if by == "week":
        return today + dt.timedelta(days=7)
    if by == "month":
        return today + dt.timedelta(days=30)
    raise BadRequest("snooze needs 'until' (a date) or 'by' ('week' or 'month')")


async def complete_follow_up(user: UserInfo, follow_up_id: int, now: dt.datetime) -> FollowUpInfo:
    row = (
        await FollowUp.select(FollowUp.id)
        .where((FollowUp.id == follow_up_id) & (FollowUp.user == user.id))
        .first()
        .run()
    )
    if row is None:
        raise NotFound("no such follow-up")
    await (
        FollowUp.update({FollowUp.done: True, FollowUp.done_at: now, FollowUp.changed_at: now})
        .where(FollowUp.id == follow_up_id)
        .run()
    )
    return (await open_follow_ups(user.id, include_id=follow_up_id))[0]


async def open_follow_ups(user_id: int, include_id: int | None = None) -> list[FollowUpInfo]:
    only = (FollowUp.id == include_id) if include_id is not None else FollowUp.done.eq(False)
    where = (FollowUp.user == user_id) & only
    rows = (
        await FollowUp.select(
            FollowUp.id,
            FollowUp.contact,
            FollowUp.contact.full_name.as_alias("name"),
            FollowUp.what,
            FollowUp.due_on,
            FollowUp.done,
        )
        .where(where)
        .order_by(FollowUp.due_on)
        .run()
    )
    return [
        FollowUpInfo(r["id"], r["contact"], r["name"], r["what"], r["due_on"], r["done"])
        for r in rows
    ]
