"""Scoring and scheduling in the shell: load the book, plan it in pipeline.strength.plan, save.

`refresh_contact` rewrites one contact's derived columns and its Reminder row (after an
interaction, snooze, skip, done or circle change); `refresh_user` does every contact (nightly).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from api.db import write_transaction
from api.errors import NotFound
from api.services.strength_series import series as health_series_of
from api.services.users import UserInfo
from api.store import circles as circle_store
from api.store import contacts as contact_store
from api.store import interactions as interaction_store
from api.store import reminders as reminder_store
from pipeline.strength.circles import cadence_for
from pipeline.strength.explain import half_life_in_words
from pipeline.strength.plan import (
    BACKLOG,
    OFF,
    PLANNED,
    BookPlan,
    ContactState,
    cadence_of,
    cycle_of,
    imported_only,
    plan_reminders,
    reminder_uid,
    schedule_item,
    shown_health,
)
from pipeline.strength.schedule import SchedulerConfig
from pipeline.strength.scoring import assess

# Re-exported: the rules moved to pipeline.strength.plan; these names are still imported here.
__all__ = [
    "BACKLOG",
    "OFF",
    "PLANNED",
    "ContactState",
    "config_of",
    "cycle_of",
    "imported_only",
    "refresh_contact",
    "refresh_user",
    "reminder_uid",
    "schedule_item",
    "shown_health",
    "strength_report",
    "tz_of",
]


def tz_of(user: UserInfo) -> ZoneInfo:
    return ZoneInfo(user.timezone)


def config_of(user: UserInfo) -> SchedulerConfig:
    return SchedulerConfig(
        per_day=user.per_day_cap,
        per_week=user.per_week_cap,
        weekday_factors=tuple(user.weekday_factors),
    )


async def _save(user: UserInfo, plan: BookPlan, now: dt.datetime) -> None:
    await contact_store.save_derived(plan.derived)
    await reminder_store.save(user.id, plan.reminders, now)


async def refresh_contact(user: UserInfo, contact_id: int, now: dt.datetime) -> None:
    """Rescore one contact and re-place its reminder around everyone else's published days."""
    tz = tz_of(user)
    today = now.astimezone(tz).date()
    async with write_transaction(lock_user=user.id):
        state = await contact_store.schedule_state(user.id, contact_id)
        if state is None:
            return
        plan = plan_reminders(
            user.id,
            [state],
            {contact_id: await interaction_store.history(contact_id)},
            await circle_store.rules(user.id),
            await reminder_store.around(user.id, contact_id, today),
            config=config_of(user),
            now=now,
            tz=tz,
            moving=contact_id,
        )
        await _save(user, plan, now)


async def refresh_user(user: UserInfo, now: dt.datetime) -> dict[str, int]:
    """Nightly: rescore every contact and schedule them all together under the caps."""
    async with write_transaction(lock_user=user.id):
        circles = await circle_store.rules(user.id)
        states = await contact_store.schedule_states(user.id)
        histories, interactions = await interaction_store.histories(user.id)
        reminders = await reminder_store.of_user(user.id)
        plan = plan_reminders(
            user.id,
            states,
            histories,
            circles,
            reminders,
            config=config_of(user),
            now=now,
            tz=tz_of(user),
        )
        await _save(user, plan, now)
    return {
        "contacts": len(states),
        "placed": len(plan.schedule.placements),
        "backlog": len(plan.schedule.backlog),
        "interactions": interactions,
    }


async def strength_report(user: UserInfo, contact_id: int, now: dt.datetime) -> dict[str, Any]:
    """Health now, daily health over the last 180 days and the explanation, for the contact page."""
    tz = tz_of(user)
    state = await contact_store.schedule_state(user.id, contact_id)
    if state is None:
        raise NotFound("no such contact")
    circles = await circle_store.rules(user.id)
    cadence = cadence_of(state, circles) or cadence_for(90, kin=False)
    events = list((await interaction_store.history(contact_id)).events)
    today = now.astimezone(tz).date()
    series = health_series_of(events, today=today, tz=tz, cadence=cadence) if events else [0] * 180
    assessment = assess(events, now=now, tz=tz, cadence=cadence) if events else None
    if assessment is None:
        return {
            "health": 0,
            "score": 0.0,
            "due_on": None,
            "series": series,
            "explanation": {
                "summary": "No interactions logged yet: log one to start tracking this tie.",
                "half_life_text": f"loses half its strength {half_life_in_words(cadence.half_life_days)}",
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
