"""Planning a user's reminders: one pure call from a whole book to what the store must write.

Given each contact's schedule inputs, its history, the circles, the scheduler's caps and the
reminders already published, `plan_reminders` scores every contact (the derived columns), places
them all under the caps and says which Reminder rows to insert or change. The shell loads, calls
this once and saves: no contact costs a round trip between the two.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from pipeline.strength.circles import Cadence, Circle, cadence_for
from pipeline.strength.daylog import DayLog, log_of
from pipeline.strength.derived import Derived as Derived
from pipeline.strength.derived import _shown, derived_of
from pipeline.strength.derived import shown_health as shown_health
from pipeline.strength.incremental import (
    Carried,
    ScoreState,
    basis_of,
    carried_score,
    is_current,
    state_after,
)
from pipeline.strength.rows import Row, RowsStanding, settles_after, standing_of_rows
from pipeline.strength.schedule import (
    Plan,
    ScheduleItem,
    SchedulerConfig,
    cold_start_due_on,
    loads_from,
    schedule,
)
from pipeline.strength.scoring import WEIGHTS, Event, standing
from pipeline.strength.standing import Standing
from pipeline.strength.writes import BACKLOG as BACKLOG
from pipeline.strength.writes import OFF as OFF
from pipeline.strength.writes import PLANNED as PLANNED
from pipeline.strength.writes import ReminderWrite as ReminderWrite
from pipeline.strength.writes import StoredReminder as StoredReminder
from pipeline.strength.writes import reminder_uid as reminder_uid
from pipeline.strength.writes import reminder_writes


@dataclass(frozen=True, slots=True)
class ContactState:
    """What scheduling needs of a contact row. `updated_at` and `derived` (the stored derived
    columns) are known to the nightly plan; None makes the contact count as changed."""

    id: int
    circle_id: int | None
    kin: bool
    cadence_override_days: int | None
    archived: bool
    entered_on: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    derived: Derived | None = None
    score_state: ScoreState | None = None


@dataclass(frozen=True, slots=True)
class History:
    """A contact's events and, for each, when it was recorded (the interaction's created_at)."""

    events: Sequence[Event] = ()
    recorded_at: Sequence[dt.datetime] = ()
    version: str = ""  # the store's fingerprint of these rows (ScoreState.version)
    rows: Sequence[Row] = ()  # instead of `events`: the same history as plain tuples (bulk reads)
    distinct_keys: bool = False  # every row has a key of its own (the store's: interaction ids)
    # Instead of either: the history already scored (daylog.extended: one interaction added).
    scored: RowsStanding | None = None


@dataclass(frozen=True, slots=True)
class BookPlan:
    """`derived`: the contacts whose derived columns change, with their new values."""

    derived: Mapping[int, Derived]
    reminders: Sequence[ReminderWrite]
    schedule: Plan
    cycles: Mapping[int, str] = field(default_factory=dict)
    score_states: Mapping[int, ScoreState] = field(default_factory=dict)  # the changed ones
    day_logs: Mapping[int, DayLog] = field(default_factory=dict)  # of the contacts rescored
    # A one-contact plan (`moving`): the first day whose load its placement depends on (None:
    # none, it is deferred or unscheduled), so `taken` need only count the days from there on.
    loads_from: dt.date | None = None


def cycle_of(assessment: Standing | None) -> str:
    if assessment is None or assessment.last_at is None:
        return "first"
    return assessment.last_at.date().isoformat()


def _cycle(last_at: dt.datetime | None, tz: dt.tzinfo) -> str:
    return "first" if last_at is None else last_at.astimezone(tz).date().isoformat()


def cadence_of(state: ContactState, circles: Mapping[int, Circle]) -> Cadence | None:
    """None for an untriaged contact: it gets no reminders (DESIGN.md section 5)."""
    if state.circle_id is None or state.circle_id not in circles:
        return None
    circle = circles[state.circle_id]
    return cadence_for(
        circle.cadence_days,
        kin=state.kin or circle.kin,
        slack=circle.slack,
        tier=circle.tier,
        override_days=state.cadence_override_days,
    )


def schedule_item(
    state: ContactState,
    cadence: Cadence | None,
    assessment: Standing | Carried | None,
    *,
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


def imported_only(events: Sequence[Event]) -> bool:
    credited = [e.kind for e in events if e.kind in WEIGHTS]
    return bool(credited) and all(kind == "connected" for kind in credited)


def scoring_cadence(cadence: Cadence | None) -> Cadence:
    # An untriaged contact is scored against the Friends cadence so health still means something.
    return cadence or cadence_for(90, kin=False)


def assess_contact(
    events: Sequence[Event], cadence: Cadence | None, *, now: dt.datetime, tz: dt.tzinfo
) -> Standing | None:
    if not events:
        return None
    return standing(events, now=now, tz=tz, cadence=scoring_cadence(cadence))


def needs_history(
    contacts: Sequence[ContactState],
    circles: Mapping[int, Circle],
    versions: Mapping[int, str],
    *,
    now: dt.datetime,
    tz: dt.tzinfo,
) -> set[int]:
    """The contacts a nightly plan must rescore from their interactions: their ScoreState is
    stale (interactions added or gone, another cadence, slack or zone, an event reached)."""
    return {s.id for s in contacts if not _current(s, circles, versions, now, tz)}


def _current(
    state: ContactState,
    circles: Mapping[int, Circle],
    versions: Mapping[int, str],
    now: dt.datetime,
    tz: dt.tzinfo,
) -> bool:
    basis = basis_of(scoring_cadence(cadence_of(state, circles)), tz)
    version = versions.get(state.id, "")
    return state.derived is not None and is_current(
        state.score_state, basis=basis, version=version, now=now
    )


def changed_since(
    published_at: dt.datetime | None,
    updated_at: dt.datetime | None,
    recorded_at: Sequence[dt.datetime],
) -> bool:
    if published_at is None or updated_at is None:
        return True
    # `>=`: something recorded in the same instant as the publication still counts as news.
    if updated_at >= published_at:
        return True
    return any(at >= published_at for at in recorded_at)


def plan_reminders(
    user_id: int,
    contacts: Sequence[ContactState],
    histories: Mapping[int, History],
    circles: Mapping[int, Circle],
    reminders: Sequence[StoredReminder],
    *,
    config: SchedulerConfig,
    now: dt.datetime,
    tz: dt.tzinfo,
    moving: int | None = None,
    versions: Mapping[int, str] | None = None,
    taken: Mapping[dt.date, int] | None = None,
) -> BookPlan:
    """Score and place `contacts`; `reminders` are the stored rows (of these contacts, and the
    published ones of everyone else).

    `moving` None is the nightly plan: everyone is placed together under the caps. `moving` set
    to a contact id re-places that contact only (after an interaction, snooze, circle change):
    everyone else keeps their published day from today on and this contact goes into whatever
    capacity is left; `taken` (planned reminders of everyone else per day from today on, else
    counted from `reminders`) is all the plan needs of them.

    `versions` (the store's fingerprint of each contact's interactions) makes the plan
    incremental: a contact whose ScoreState is current (see `needs_history`) is rescored from
    it, and `histories` need only hold the others.
    """
    return place(
        score_book(
            user_id,
            contacts,
            histories,
            circles,
            reminders,
            config=config,
            now=now,
            tz=tz,
            moving=moving,
            versions=versions,
        ),
        config=config,
        taken=taken,
    )


@dataclass(frozen=True, slots=True)
class Scored:
    """`plan_reminders` before placing: every contact scored into its schedule item. Its
    `loads_from` (BookPlan's) is known before placing, so a shell re-placing one contact counts
    everyone else's reminders only when they matter, then places once (`place`)."""

    user_id: int
    reminders: Sequence[StoredReminder]
    moving: int | None
    now: dt.datetime
    today: dt.date
    items: Sequence[ScheduleItem]
    derived: Mapping[int, Derived]
    cycles: Mapping[int, str]
    states: Mapping[int, ScoreState]
    logs: Mapping[int, DayLog]
    loads_from: dt.date | None


def score_book(
    user_id: int,
    contacts: Sequence[ContactState],
    histories: Mapping[int, History],
    circles: Mapping[int, Circle],
    reminders: Sequence[StoredReminder],
    *,
    config: SchedulerConfig,
    now: dt.datetime,
    tz: dt.tzinfo,
    moving: int | None = None,
    versions: Mapping[int, str] | None = None,
) -> Scored:
    """The scoring half of `plan_reminders` (the same arguments but `taken`)."""
    today = now.astimezone(tz).date()
    published_at = {r.contact_id: r.changed_at for r in reminders if r.state == PLANNED}
    items: list[ScheduleItem] = []
    derived: dict[int, Derived] = {}
    cycles: dict[int, str] = {}
    states: dict[int, ScoreState] = {}
    logs: dict[int, DayLog] = {}
    for state in contacts:
        cadence = cadence_of(state, circles)
        scored = scoring_cadence(cadence)
        if versions is not None and _current(state, circles, versions, now, tz):
            item = _carried_item(state, cadence, scored, published_at, now, today, derived)
            cycles[state.id] = _cycle(state.derived.last_at if state.derived else None, tz)
        else:
            history = histories.get(state.id, History())
            basis = basis_of(scored, tz)
            version = history.version if versions is None else versions.get(state.id, "")
            got = history.scored
            if got is None and history.rows:
                got = standing_of_rows(
                    history.rows,
                    now=now,
                    tz=tz,
                    cadence=scored,
                    distinct_keys=history.distinct_keys,
                )
            if got is not None:
                assessment, only_imported, settles = got.standing, got.imported_only, got.settles_at
                log = log_of(got, version=version, basis=basis, tz=tz)
                if log is not None:
                    logs[state.id] = log
            else:
                assessment = assess_contact(history.events, cadence, now=now, tz=tz)
                only_imported = imported_only(history.events)
                settles = settles_after(history.events, now)
            new = derived_of(assessment, today)
            if new != state.derived:
                derived[state.id] = new
            cycles[state.id] = cycle_of(assessment)
            score_state = state_after(
                assessment,
                settles,
                history.recorded_at,
                basis=basis,
                version=version,
                imported_only=only_imported,
            )
            if score_state != state.score_state:
                states[state.id] = score_state
            changed = moving is not None or changed_since(
                published_at.get(state.id), state.updated_at, history.recorded_at
            )
            item = schedule_item(
                state, cadence, assessment, changed=changed, imported_only=only_imported
            )
        if item is not None:
            items.append(item)
    mine = [i for i in items if i.contact_id == moving]
    first = loads_from(mine[0], today, config) if mine else None
    return Scored(
        user_id, reminders, moving, now, today, items, derived, cycles, states, logs, first
    )


def place(
    scored: Scored, *, config: SchedulerConfig, taken: Mapping[dt.date, int] | None = None
) -> BookPlan:
    """The placing half of `plan_reminders`: `scored` under the caps, `taken` as there."""
    today, moving = scored.today, scored.moving
    planned = [r for r in scored.reminders if r.state == PLANNED]
    published: dict[int, dt.date] = {}
    if moving is None:
        published = {r.contact_id: r.day for r in planned}
    elif taken is None:
        others = (r.day for r in planned if r.contact_id != moving and r.day >= today)
        taken = Counter(others)
    plan = schedule(scored.items, today=today, config=config, published=published, taken=taken)
    existing = {r.contact_id: r for r in scored.reminders}
    writes = reminder_writes(scored.user_id, plan, scored.cycles, existing, scored.now)
    s = scored
    return BookPlan(s.derived, writes, plan, s.cycles, s.states, s.logs, s.loads_from)


def _carried_item(
    state: ContactState,
    cadence: Cadence | None,
    scored: Cadence,
    published_at: Mapping[int, dt.datetime],
    now: dt.datetime,
    today: dt.date,
    derived: dict[int, Derived],
) -> ScheduleItem | None:
    """Rescored from its ScoreState and derived columns (S13: only the score decays)."""
    held, stored = state.derived, state.score_state
    assert held is not None and stored is not None
    score, health = carried_score(stored, held.last_at, scored, now)
    new = replace(held, score=score, health=_shown(health, held.due_on, today))
    if new != held:
        derived[state.id] = new
    ball = stored.ball_at is not None and now > stored.ball_at
    recorded = [] if stored.recorded_at is None else [stored.recorded_at]
    changed = changed_since(published_at.get(state.id), state.updated_at, recorded)
    view = Carried(held.due_on, held.not_before, ball)
    return schedule_item(state, cadence, view, changed=changed, imported_only=stored.imported_only)
