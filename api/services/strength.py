"""Scoring and scheduling in the shell: load rows, call pipeline.strength.scoring/schedule, persist.

`refresh_contact` rewrites one contact's derived columns and its Reminder row (after an
interaction, snooze, skip, done or circle change); `refresh_user` does every contact (nightly).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from api.db import write_transaction
from api.db.bulk import update_many
from api.db.tables import Circle, Contact, Interaction, Reminder
from api.services.users import UserInfo
from pipeline.strength.circles import Cadence, cadence_for
from pipeline.strength.schedule import (
    Plan,
    ScheduleItem,
    SchedulerConfig,
    cold_start_due_on,
    schedule,
)
from pipeline.strength.scoring import WEIGHTS, Assessment, Event, assess, health_series

BACKLOG = "backlog"
PLANNED = "planned"
OFF = "off"  # not placed: untriaged, archived, done, deferred past the horizon


@dataclass(frozen=True)
class ContactState:
    """What scheduling needs of a contact row."""

    id: int
    circle_id: int | None
    kin: bool
    cadence_override_days: int | None
    archived: bool
    entered_on: dt.date | None
    created_at: dt.datetime


def tz_of(user: UserInfo) -> ZoneInfo:
    return ZoneInfo(user.timezone)


def config_of(user: UserInfo) -> SchedulerConfig:
    return SchedulerConfig(
        per_day=user.per_day_cap,
        per_week=user.per_week_cap,
        weekday_factors=tuple(user.weekday_factors),
    )


def reminder_uid(user_id: int, contact_id: int, cycle: str) -> str:
    """Stable per (user, contact, cycle), with no personal data in it (RFC 5545 3.8.4.7).

    The cycle is the day of the last contact (scoring.md 3.5): a reminder that only moves keeps its
    UID and bumps SEQUENCE; a new interaction starts a new cycle, so the done reminder leaves the
    feed and the next one is a new event.
    """
    digest = hashlib.sha256(f"kith:{user_id}:{contact_id}:{cycle}".encode()).hexdigest()[:20]
    return f"reconnect-{digest}@kith"


def cycle_of(assessment: Assessment | None) -> str:
    if assessment is None or assessment.last_at is None:
        return "first"
    return assessment.last_at.date().isoformat()


async def circles_by_id(user_id: int) -> dict[int, dict[str, Any]]:
    rows = await Circle.select().where(Circle.user == user_id).run()
    return {r["id"]: r for r in rows}


def cadence_of(state: ContactState, circles: Mapping[int, Mapping[str, Any]]) -> Cadence | None:
    """None for an untriaged contact: it gets no reminders (DESIGN.md section 5)."""
    if state.circle_id is None or state.circle_id not in circles:
        return None
    circle = circles[state.circle_id]
    return cadence_for(
        int(circle["cadence_days"]),
        kin=state.kin or bool(circle["kin"]),
        slack=float(circle["slack"]),
        tier=int(circle["tier"]),
        override_days=state.cadence_override_days,
    )


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


def _events(rows: Iterable[Mapping[str, Any]]) -> list[Event]:
    return [
        Event(
            at=row["at"],
            kind=row["kind"],
            attendee_count=row["attendee_count"],
            direction=row["direction"],
            key=f"id:{row['id']}",
            until=row["until"],
        )
        for row in rows
    ]


async def contact_events(contact_id: int) -> list[Event]:
    rows = await Interaction.select(*_EVENT_COLUMNS).where(Interaction.contact == contact_id).run()
    return _events(rows)


async def _state(user_id: int, contact_id: int) -> ContactState | None:
    row = (
        await Contact.select(
            Contact.id,
            Contact.circle,
            Contact.kin,
            Contact.cadence_override_days,
            Contact.archived,
            Contact.entered_on,
            Contact.created_at,
        )
        .where((Contact.id == contact_id) & (Contact.user == user_id))
        .first()
        .run()
    )
    return None if row is None else _state_of(row)


def _state_of(row: Mapping[str, Any]) -> ContactState:
    return ContactState(
        id=row["id"],
        circle_id=row["circle"],
        kin=row["kin"],
        cadence_override_days=row["cadence_override_days"],
        archived=row["archived"],
        entered_on=row["entered_on"],
        created_at=row["created_at"],
    )


def schedule_item(
    state: ContactState,
    cadence: Cadence | None,
    assessment: Assessment | None,
    *,
    today: dt.date,
    changed: bool,
    imported_only: bool = False,
) -> ScheduleItem | None:
    """The scheduler's view; None when the contact is not to be scheduled at all.

    A contact whose only history is an import's date (LinkedIn's "Connected On") is a cold
    start too: otherwise triaging a few hundred old connections makes them all overdue at once.
    """
    if state.archived or cadence is None:
        return None
    due_on = assessment.due_on if assessment else None
    cold = due_on is None or imported_only
    if cold:
        # Entered a circle without history: spread over one cadence (scoring.md 2.7).
        entered = state.entered_on or state.created_at.date()
        due_on = cold_start_due_on(state.id, entered, cadence.half_life_days)
    return ScheduleItem(
        contact_id=state.id,
        due_on=due_on,
        tier=cadence.tier,
        cadence_days=cadence.half_life_days,
        not_before=assessment.not_before if assessment else None,
        cold_start=cold,
        changed_since_publish=changed,
        ball_in_court=assessment.ball_in_court if assessment else False,
    )


def shown_health(assessment: Assessment, today: dt.date) -> int:
    """DESIGN.md 5: a contact is due exactly when its health is 39 or less. The slack cap can
    make a contact due while S is still above the threshold, so a due contact shows at most 39."""
    if assessment.due_on is not None and assessment.due_on <= today:
        return min(assessment.health, 39)
    return assessment.health


_DERIVED_COLUMNS = (
    Contact.score,
    Contact.health,
    Contact.due_on,
    Contact.last_at,
    Contact.last_kind,
    Contact.not_before,
)


def _derived(assessment: Assessment | None, today: dt.date) -> dict[Any, Any]:
    if assessment is None:
        return {
            Contact.score: 0.0,
            Contact.health: 0,
            Contact.due_on: None,
            Contact.last_at: None,
            Contact.last_kind: None,
            Contact.not_before: None,
        }
    return {
        Contact.score: assessment.score,
        Contact.health: shown_health(assessment, today),
        Contact.due_on: assessment.due_on,
        Contact.last_at: assessment.last_at,
        Contact.last_kind: assessment.last_kind,
        Contact.not_before: assessment.not_before,
    }


def imported_only(events: list[Event]) -> bool:
    credited = [e.kind for e in events if e.kind in WEIGHTS]
    return bool(credited) and all(kind == "connected" for kind in credited)


def assess_contact(
    events: list[Event], cadence: Cadence | None, *, now: dt.datetime, tz: ZoneInfo
) -> Assessment | None:
    if not events:
        return None
    # An untriaged contact is scored against the Friends cadence so health still means something.
    return assess(events, now=now, tz=tz, cadence=cadence or cadence_for(90, kin=False))


async def refresh_contact(user: UserInfo, contact_id: int, now: dt.datetime) -> None:
    """Rescore one contact and re-place its reminder around everyone else's published days."""
    tz = tz_of(user)
    today = now.astimezone(tz).date()
    async with write_transaction():
        state = await _state(user.id, contact_id)
        if state is None:
            return
        circles = await circles_by_id(user.id)
        cadence = cadence_of(state, circles)
        events = await contact_events(contact_id)
        assessment = assess_contact(events, cadence, now=now, tz=tz)
        await Contact.update(_derived(assessment, today)).where(Contact.id == contact_id).run()
        item = schedule_item(
            state,
            cadence,
            assessment,
            today=today,
            changed=True,
            imported_only=imported_only(events),
        )
        others = (
            await Reminder.select(Reminder.contact, Reminder.day)
            .where(
                (Reminder.user == user.id)
                & (Reminder.state == PLANNED)
                & (Reminder.contact != contact_id)
                & (Reminder.day >= today)
            )
            .run()
        )
        published = {r["contact"]: r["day"] for r in others}
        items = [
            ScheduleItem(contact_id=cid, due_on=day, tier=0, cadence_days=1.0)
            for cid, day in published.items()
        ]
        if item is not None:
            items.append(item)
        # Everyone else keeps their published day (a freeze as long as the horizon); only this
        # contact moves, into whatever capacity is left.
        base = config_of(user)
        pinned = SchedulerConfig(
            per_day=base.per_day,
            per_week=base.per_week,
            soft_target=base.soft_target,
            new_per_day=base.new_per_day,
            weekday_factors=base.weekday_factors,
            horizon_days=base.horizon_days,
            freeze_days=base.horizon_days + 1,
        )
        plan = schedule(items, today=today, config=pinned, published=published)
        await _persist_plan(user.id, plan, {contact_id: cycle_of(assessment)}, now)


async def _persist_plan(
    user_id: int, plan: Plan, cycles: Mapping[int, str], now: dt.datetime
) -> None:
    """Write Reminder rows for the contacts in `cycles`: a moved reminder keeps its UID and bumps
    SEQUENCE; a new cycle gets a new UID (the old event leaves the feed)."""
    ids = list(cycles)
    if not ids:
        return
    existing = {}
    for chunk in _chunks(ids, 500):
        rows = await Reminder.select().where(Reminder.contact.is_in(chunk)).run()
        existing.update({r["contact"]: r for r in rows})
    backlog = set(plan.backlog)
    inserts = []
    for cid in ids:
        day = plan.placements.get(cid)
        state = PLANNED if day is not None else (BACKLOG if cid in backlog else OFF)
        row = existing.get(cid)
        uid = reminder_uid(user_id, cid, cycles[cid])
        if row is None:
            if state == OFF:
                continue
            inserts.append(
                Reminder(
                    user=user_id,
                    contact=cid,
                    day=day or now.date(),
                    uid=uid,
                    sequence=0,
                    state=state,
                    changed_at=now,
                )
            )
            continue
        new_cycle = row["uid"] != uid
        if not new_cycle and row["state"] == state and (state != PLANNED or row["day"] == day):
            continue
        values: dict[Any, Any] = {Reminder.state: state, Reminder.changed_at: now}
        if state == PLANNED:
            values[Reminder.day] = day
        values[Reminder.uid] = uid
        values[Reminder.sequence] = 0 if new_cycle else row["sequence"] + 1
        await Reminder.update(values).where(Reminder.id == row["id"]).run()
    for chunk in _chunks(inserts, 500):
        await Reminder.insert(*chunk).run()


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def refresh_user(user: UserInfo, now: dt.datetime) -> dict[str, int]:
    """Nightly: rescore every contact and schedule them all together under the caps."""
    tz = tz_of(user)
    today = now.astimezone(tz).date()
    async with write_transaction():
        circles = await circles_by_id(user.id)
        rows = (
            await Contact.select(
                Contact.id,
                Contact.circle,
                Contact.kin,
                Contact.cadence_override_days,
                Contact.archived,
                Contact.entered_on,
                Contact.created_at,
                Contact.updated_at,
                *_DERIVED_COLUMNS,
            )
            .where(Contact.user == user.id)
            .run()
        )
        by_contact: dict[int, list[Any]] = defaultdict(list)
        interactions = (
            await Interaction.select(*_EVENT_COLUMNS).where(Interaction.user == user.id).run()
        )
        for row in interactions:
            by_contact[row["contact"]].append(row)
        published_rows = (
            await Reminder.select(Reminder.contact, Reminder.day, Reminder.changed_at)
            .where((Reminder.user == user.id) & (Reminder.state == PLANNED))
            .run()
        )
        published = {r["contact"]: r["day"] for r in published_rows}
        published_at = {r["contact"]: r["changed_at"] for r in published_rows}
        items = []
        cycles: dict[int, str] = {}
        updates: list[list[Any]] = []
        for row in rows:
            state = _state_of(row)
            cadence = cadence_of(state, circles)
            events = _events(by_contact.get(state.id, []))
            assessment = assess_contact(events, cadence, now=now, tz=tz)
            derived = _derived(assessment, today)
            new = [derived[c] for c in _DERIVED_COLUMNS]
            if new != [row[c._meta.name] for c in _DERIVED_COLUMNS]:
                updates.append([*new, state.id])
            cycles[state.id] = cycle_of(assessment)
            changed = _changed_since(
                published_at.get(state.id), row["updated_at"], by_contact.get(state.id, [])
            )
            item = schedule_item(
                state,
                cadence,
                assessment,
                today=today,
                changed=changed,
                imported_only=imported_only(events),
            )
            if item is not None:
                items.append(item)
        # Only rows whose derived values changed, in one statement: nightly runs mostly find
        # nothing new, and 5,000 single-row round trips were most of the job's time.
        await update_many(Contact, [c._meta.name for c in _DERIVED_COLUMNS], updates)
        plan = schedule(items, today=today, config=config_of(user), published=published)
        await _persist_plan(user.id, plan, cycles, now)
    return {
        "contacts": len(rows),
        "placed": len(plan.placements),
        "backlog": len(plan.backlog),
        "interactions": len(interactions),
    }


def _changed_since(
    published_at: dt.datetime | None, updated_at: dt.datetime, interactions: list[Any]
) -> bool:
    if published_at is None:
        return True
    # `>=`: something recorded in the same instant as the publication still counts as news.
    if updated_at >= published_at:
        return True
    return any(r["created_at"] >= published_at for r in interactions)


async def strength_report(user: UserInfo, contact_id: int, now: dt.datetime) -> dict[str, Any]:
    """Health now, daily health over the last 180 days and the explanation, for the contact page."""
    tz = tz_of(user)
    state = await _state(user.id, contact_id)
    if state is None:
        from api.errors import NotFound

        raise NotFound("no such contact")
    circles = await circles_by_id(user.id)
    cadence = cadence_of(state, circles) or cadence_for(90, kin=False)
    events = await contact_events(contact_id)
    today = now.astimezone(tz).date()
    series = health_series(events, today=today, tz=tz, cadence=cadence) if events else [0] * 180
    assessment = assess(events, now=now, tz=tz, cadence=cadence) if events else None
    if assessment is None:
        return {
            "health": 0,
            "score": 0.0,
            "due_on": None,
            "series": series,
            "explanation": {
                "summary": "No interactions logged yet: log one to start tracking this tie.",
                "half_life_text": f"loses half its strength {_words(cadence.half_life_days)}",
                "due_text": None,
                "contributions": [],
                "due_on": None,
            },
        }
    ex = assessment.explanation
    return {
        "health": shown_health(assessment, today),
        "score": round(assessment.score, 4),
        "due_on": assessment.due_on,
        "series": series,
        "explanation": {
            "summary": ex.sentence,
            "half_life_text": f"loses half its strength {ex.half_life_words}",
            "due_text": None if ex.due_on is None else f"due on {ex.due_on.isoformat()}",
            "contributions": [
                {
                    "on": c.on,
                    "kind": ", ".join(c.kinds),
                    "credit": round(c.credit, 3),
                    "share": round(c.now, 4),
                }
                for c in ex.top
            ],
            "rest": round(ex.rest, 4),
            "due_on": ex.due_on,
        },
    }


def _words(days: float) -> str:
    from pipeline.strength.explain import half_life_in_words

    return half_life_in_words(days)
