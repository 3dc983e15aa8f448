"""Reminder planning for a whole book, with no database: derived columns, cycles, placements."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pipeline.strength.circles import Circle, cadence_for
from pipeline.strength.plan import (
    BACKLOG,
    PLANNED,
    ContactState,
    History,
    StoredReminder,
    plan_reminders,
    reminder_uid,
)
from pipeline.strength.schedule import SchedulerConfig
from pipeline.strength.scoring import Event, assess

NOW = dt.datetime(2024, 5, 6, 12, tzinfo=dt.UTC)  # a Monday
TODAY = NOW.date()
UTC = ZoneInfo("UTC")
CIRCLES = {1: Circle("Inner", 7, 2.0, 0), 2: Circle("Friends", 90, 2.0, 2)}
OPEN = SchedulerConfig(weekday_factors=(1.0,) * 7)


def contact(cid: int, circle: int | None = 1, **kw: object) -> ContactState:
    fields: dict[str, object] = {
        "circle_id": circle,
        "kin": False,
        "cadence_override_days": None,
        "archived": False,
        "entered_on": TODAY - dt.timedelta(days=30),
        "created_at": NOW - dt.timedelta(days=30),
        "updated_at": NOW - dt.timedelta(days=30),
        **kw,
    }
    return ContactState(id=cid, **fields)  # type: ignore[arg-type]


def history(*days_ago: int, kind: str = "call") -> History:
    events = [Event(at=NOW - dt.timedelta(days=d), kind=kind) for d in days_ago]
    return History(events=events, recorded_at=[e.at for e in events])


def plan(
    contacts: list[ContactState],
    histories: dict[int, History],
    reminders: tuple[StoredReminder, ...] = (),
    *,
    now: dt.datetime = NOW,
    moving: int | None = None,
):  # type: ignore[no-untyped-def]
    return plan_reminders(
        7, contacts, histories, CIRCLES, reminders, config=OPEN, now=now, tz=UTC, moving=moving
    )


def test_a_due_contact_shows_health_at_most_39_even_when_its_score_is_high() -> None:
    # Forty meals ending 20 days ago: the slack cap (2 cadences of 7 days) makes the contact due
    # while the score alone would read above 90.
    rich = history(*range(20, 60), kind="meal")
    raw = assess(list(rich.events), now=NOW, tz=UTC, cadence=cadence_for(7, kin=False, tier=0))
    assert raw.health > 39 and raw.due_on is not None and raw.due_on <= TODAY
    result = plan([contact(1)], {1: rich})
    assert result.derived[1].health <= 39
    assert result.derived[1].due_on == raw.due_on


def test_an_imported_only_history_is_a_cold_start_spread_from_the_day_it_entered_the_circle() -> (
    None
):
    entered = TODAY - dt.timedelta(days=3)
    old = history(400, kind="connected")  # LinkedIn's "Connected On", a year overdue
    cold = plan([contact(1, circle=2, entered_on=entered)], {1: old})
    fresh = plan([contact(1, circle=2, entered_on=entered)], {})
    # Not overdue at once: placed exactly where a contact without any history would be.
    assert cold.schedule.placements == fresh.schedule.placements
    assert cold.schedule.placements[1] >= TODAY
    assert cold.derived[1].last_kind == "connected"


def test_a_moved_reminder_keeps_its_uid_and_bumps_its_sequence() -> None:
    first = plan([contact(1)], {1: history(10)})
    (write,) = first.reminders
    assert write.reminder_id is None and write.state == PLANNED and write.sequence == 0
    stored = StoredReminder(
        id=5,
        contact_id=1,
        day=write.day + dt.timedelta(days=40),  # type: ignore[operator]
        uid=write.uid,
        sequence=2,
        state=PLANNED,
        changed_at=NOW - dt.timedelta(days=1),
    )
    again = plan([contact(1)], {1: history(10)}, (stored,))
    (move,) = again.reminders
    assert (move.reminder_id, move.uid, move.sequence) == (5, write.uid, 3)
    assert move.day == write.day


def test_a_new_interaction_starts_a_new_cycle_with_a_new_uid() -> None:
    before = plan([contact(1)], {1: history(10)})
    (write,) = before.reminders
    stored = StoredReminder(9, 1, write.day or TODAY, write.uid, 4, PLANNED, NOW)
    after = plan([contact(1)], {1: history(10, 0)}, (stored,), moving=1)
    (new,) = after.reminders
    assert new.uid != write.uid and new.uid == reminder_uid(7, 1, TODAY.isoformat())
    assert (new.reminder_id, new.sequence) == (9, 0)


def test_an_unchanged_contact_needs_no_write_at_all() -> None:
    first = plan([contact(1)], {1: history(10)})
    (write,) = first.reminders
    stored = StoredReminder(3, 1, write.day or TODAY, write.uid, 0, PLANNED, NOW)
    again = plan([contact(1, derived=first.derived[1])], {1: history(10)}, (stored,))
    assert again.derived == {} and list(again.reminders) == []


def test_untriaged_and_archived_contacts_get_no_reminder_but_are_still_scored() -> None:
    result = plan([contact(1, circle=None), contact(2, archived=True)], {1: history(5)})
    assert result.reminders == []
    assert result.derived[1].health > 0 and result.derived[2].health == 0


def test_a_moving_contact_fits_around_everyone_elses_published_days() -> None:
    full = SchedulerConfig(per_day=1, per_week=50, weekday_factors=(1.0,) * 7)
    others = tuple(
        StoredReminder(100 + n, 100 + n, TODAY + dt.timedelta(days=n), f"u{n}", 0, PLANNED, NOW)
        for n in range(3)
    )
    result = plan_reminders(
        7,
        [contact(1)],
        {1: history(30)},
        CIRCLES,
        others,
        config=full,
        now=NOW,
        tz=UTC,
        moving=1,
    )
    assert result.schedule.placements[1] == TODAY + dt.timedelta(days=3)
    assert [w.contact_id for w in result.reminders] == [1]


def test_a_contact_that_does_not_fit_under_the_caps_goes_to_the_backlog() -> None:
    none = SchedulerConfig(per_day=0, per_week=0, weekday_factors=(1.0,) * 7)
    result = plan_reminders(
        7, [contact(1)], {1: history(30)}, CIRCLES, (), config=none, now=NOW, tz=UTC
    )
    (write,) = result.reminders
    assert write.state == BACKLOG and write.day == NOW.date()
