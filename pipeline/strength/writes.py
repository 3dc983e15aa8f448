"""The Reminder rows a plan writes: the published rows as the plan reads them, the rows to write,
and their UIDs (moved out of pipeline.strength.plan, which re-exports them)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.strength.schedule import Plan

BACKLOG = "backlog"
PLANNED = "planned"
OFF = "off"  # not placed: untriaged, archived, done, deferred past the horizon


@dataclass(frozen=True, slots=True)
class StoredReminder:
    id: int
    contact_id: int
    day: dt.date
    uid: str
    sequence: int
    state: str
    changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ReminderWrite:
    """One Reminder row to write. `reminder_id` None inserts; `day` None keeps the stored day."""

    contact_id: int
    reminder_id: int | None
    state: str
    day: dt.date | None
    uid: str
    sequence: int


def reminder_uid(user_id: int, contact_id: int, cycle: str) -> str:
    """Stable per (user, contact, cycle), with no personal data in it (RFC 5545 3.8.4.7).

    The cycle is the day of the last contact (scoring.md 3.5): a reminder that only moves keeps its
    UID and bumps SEQUENCE; a new interaction starts a new cycle, so the done reminder leaves the
    feed and the next one is a new event.
    """
    digest = hashlib.sha256(f"kith:{user_id}:{contact_id}:{cycle}".encode()).hexdigest()[:20]
    return f"reconnect-{digest}@kith"


def reminder_writes(
    user_id: int,
    plan: Plan,
    cycles: Mapping[int, str],
    existing: Mapping[int, StoredReminder],
    now: dt.datetime,
) -> list[ReminderWrite]:
    """Rows for the contacts in `cycles`: a moved reminder keeps its UID and bumps SEQUENCE; a
    new cycle gets a new UID (the old event leaves the feed). Updates first, then inserts."""
    backlog = set(plan.backlog)
    updates: list[ReminderWrite] = []
    inserts: list[ReminderWrite] = []
    for cid, cycle in cycles.items():
        day = plan.placements.get(cid)
        state = PLANNED if day is not None else (BACKLOG if cid in backlog else OFF)
        row = existing.get(cid)
        uid = reminder_uid(user_id, cid, cycle)
        if row is None:
            if state != OFF:
                inserts.append(ReminderWrite(cid, None, state, day or now.date(), uid, 0))
            continue
        new_cycle = row.uid != uid
        if not new_cycle and row.state == state and (state != PLANNED or row.day == day):
            continue
        sequence = 0 if new_cycle else row.sequence + 1
        updates.append(ReminderWrite(cid, row.id, state, day, uid, sequence))
    return updates + inserts
