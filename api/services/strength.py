"""Scoring and scheduling in the shell: load the book, plan it in pipeline.strength.plan, save.

`refresh_contact` rewrites one contact's derived columns and its Reminder row (after an
interaction, snooze, skip, done or circle change); `refresh_user` does every contact (nightly).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
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
from api.store import scoring as scoring_store
from pipeline.strength.circles import Circle, cadence_for
from pipeline.strength.daylog import extended
from pipeline.strength.explain import half_life_in_words
from pipeline.strength.incremental import basis_of
from pipeline.strength.plan import (
    BACKLOG,
    OFF,
    PLANNED,
    BookPlan,
    ContactState,
    History,
    cadence_of,
    cycle_of,
    imported_only,
    needs_history,
    place,
    plan_reminders,
    reminder_uid,
    schedule_item,
    score_book,
    scoring_cadence,
    shown_health,
)
from pipeline.strength.rows import Row
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
    "refresh_locked",
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
    return _config(user.per_day_cap, user.per_week_cap, tuple(user.weekday_factors))


@functools.lru_cache(maxsize=256)
def _config(per_day: int, per_week: int, factors: tuple[float, ...]) -> SchedulerConfig:
    # Frozen, so one per setting serves every call: building and validating it was ~5 us of
    # each logged interaction.
    return SchedulerConfig(per_day=per_day, per_week=per_week, weekday_factors=factors)


async def _save(user: UserInfo, plan: BookPlan, now: dt.datetime) -> None:
    await scoring_store.save(user.id, plan.derived, plan.score_states, plan.day_logs)
    await reminder_store.save(user.id, plan.reminders, now)


Loaded = tuple[ContactState, dict[int, Circle]]


async def load_contact(user: UserInfo, contact_id: int) -> Loaded | None:
    """A contact's schedule inputs and circle rule (inside the caller's write transaction)."""
    return await scoring_store.contact_with_circle(user.id, contact_id)


async def load_for_logging(
    user: UserInfo, contact_id: int, key: str | None
) -> scoring_store.ForLogging | None:
    """`load_contact`, the id of the interaction stored under the idempotency `key` and the
    contact's day log, in one read (inside the caller's write transaction)."""
    return await scoring_store.contact_for_logging(user.id, contact_id, key)


@dataclass(frozen=True, slots=True)
class Logged:
    """The interaction just stored, and what `load_for_logging` read before it was."""

    before: scoring_store.ForLogging
    row: Row
    interaction_id: int
    recorded_at: dt.datetime


def _logged_history(
    logged: Logged, loaded: Loaded, now: dt.datetime, tz: ZoneInfo
) -> History | None:
    """The contact's history scored from its day log and the new interaction, without reading
    it (pipeline.strength.daylog); None when the log cannot say."""
    state, circles = loaded
    cadence = scoring_cadence(cadence_of(state, circles))
    before = logged.before
    got = extended(
        before.day_log,
        before.score_state,
        logged.row,
        version_before=scoring_store.version(before.count, before.max_id),
        basis=basis_of(cadence, tz),
        now=now,
        tz=tz,
        cadence=cadence,
    )
    if got is None:
        return None
    newest = max(before.max_id or 0, logged.interaction_id)
    held = before.score_state.recorded_at if before.score_state else None
    recorded = logged.recorded_at if held is None else max(held, logged.recorded_at)
    return History(
        recorded_at=[recorded], version=scoring_store.version(before.count + 1, newest), scored=got
    )


async def refresh_contact(
    user: UserInfo,
    contact_id: int,
    now: dt.datetime,
    *,
    loaded: Loaded | None = None,
    logged: Logged | None = None,
) -> None:
    """Rescore one contact and re-place its reminder around everyone else's published days.
    `loaded` is what `load_contact` read in the same transaction, if the caller has it;
    `logged` the interaction just recorded, so the history need not be read when the
    contact's day log can score it."""
    async with write_transaction(lock_user=user.id):
        await refresh_locked(user, contact_id, now, loaded=loaded, logged=logged)


async def refresh_locked(
    user: UserInfo,
    contact_id: int,
    now: dt.datetime,
    *,
    loaded: Loaded | None = None,
    logged: Logged | None = None,
) -> None:
    """`refresh_contact` inside the caller's write transaction, which holds the user's lock
    (record_interaction: a nested transaction there was only Python, ~10 us per call)."""
    tz = tz_of(user)
    today = now.astimezone(tz).date()
    config = config_of(user)
    got = loaded or await load_contact(user, contact_id)
    if got is None:
        return
    state, circles = got
    history = None if logged is None else _logged_history(logged, got, now, tz)
    if history is not None:
        histories = {contact_id: history}
    else:
        histories, _ = await scoring_store.histories(user.id, [contact_id])
    last = today + dt.timedelta(days=config.horizon_days)
    taken: dict[dt.date, int] | None = None
    if logged is not None:
        own = logged.before.reminders
    else:
        own, taken = await reminder_store.own_and_taken(user.id, contact_id, today, last)
    scored = score_book(
        user.id,
        [state],
        histories,
        circles,
        own,
        config=config,
        now=now,
        tz=tz,
        moving=contact_id,
    )
    if taken is None:
        # Due inside the horizon: held against everyone else's reminders, so count them
        # from the first day that matters (most logged contacts fall due past the horizon
        # and need no such read). The same plan as with every day counted; scored once.
        first = scored.loads_from
        taken = {} if first is None else await reminder_store.taken(user.id, first, last, own)
    await _save(user, place(scored, config=config, taken=taken), now)


# More than this share of the book changed: one read of all the user's interactions is cheaper
# than reading them contact by contact.
_READ_ALL_SHARE = 0.5


async def refresh_user(user: UserInfo, now: dt.datetime) -> dict[str, int]:
    """Nightly: rescore and schedule every contact together under the caps.

    Only contacts whose interactions, cadence or timezone changed since they were last scored
    are rescored from their history; the others from their stored score state (S13: their due
    date stands, their score decays), so a quiet night reads no interaction at all.
    """
    tz = tz_of(user)
    async with write_transaction(lock_user=user.id):
        circles = await circle_store.rules(user.id)
        states = await scoring_store.book_states(user.id)
        versions = await scoring_store.versions(user.id)
        stale = needs_history(states, circles, versions, now=now, tz=tz)
        wanted = [s.id for s in states if s.id in stale and s.id in versions]
        read_all = len(wanted) > _READ_ALL_SHARE * len(states)
        histories, interactions = await scoring_store.histories(
            user.id, None if read_all else wanted
        )
        reminders = await reminder_store.of_user(user.id)
        plan = plan_reminders(
            user.id,
            states,
            histories,
            circles,
            reminders,
            config=config_of(user),
            now=now,
            tz=tz,
            versions=versions,
        )
        await _save(user, plan, now)
    return {
        "contacts": len(states),
        "placed": len(plan.schedule.placements),
        "backlog": len(plan.schedule.backlog),
        "interactions": interactions,
        "rescored": len(stale),
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
