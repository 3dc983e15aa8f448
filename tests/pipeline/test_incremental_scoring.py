"""Incremental scoring is the full scoring: the nightly plan that rescores only what changed,
from stored score states, gives exactly what a plan that reads every history gives, for random
histories and random sequences of changes (S13: the due date does not depend on when it is
computed; the score after the last contact is S(tau_last) decayed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.strength.circles import Circle, cadence_for
from pipeline.strength.plan import (
    ContactState,
    Derived,
    History,
    StoredReminder,
    needs_history,
    plan_reminders,
)
from pipeline.strength.rows import standing_of_rows
from pipeline.strength.schedule import SchedulerConfig
from pipeline.strength.scoring import KINDS, Event, assess, standing

BASE = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
ZONES = [ZoneInfo(n) for n in ("UTC", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata")]
CIRCLES = {
    1: Circle("Inner", 7, 2.0, 0),
    2: Circle("Close", 30, 2.0, 1),
    3: Circle("Far", 365, 3.0, 3),
}
CONFIG = SchedulerConfig(per_day=2, per_week=6)

# Spread over a year, or crowded into a few days (bursts, several kinds a day, DST nights).
instants = st.integers(-400 * 24 * 60, 3 * 24 * 60).map(
    lambda m: BASE + dt.timedelta(minutes=m)
) | st.integers(-4 * 24 * 60, 24 * 60).map(lambda m: BASE + dt.timedelta(minutes=m))
rows = st.lists(
    st.tuples(
        instants,
        st.sampled_from(sorted(KINDS)) | st.sampled_from(["meeting", "message"]),
        st.none() | st.integers(1, 30),
        st.sampled_from([None, "in", "out", "both"]),
        # Mostly unique keys (the one-pass path), sometimes none or shared ones (deduplication).
        st.integers(0, 10**9).map(lambda n: f"id:{n}") | st.none() | st.sampled_from(["k1", "k2"]),
        st.none() | st.integers(0, 500).map(lambda d: dt.date(2024, 1, 1) + dt.timedelta(d)),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    rows, st.sampled_from(ZONES), st.sampled_from([7, 30, 90, 365]), st.booleans(), st.booleans()
)
def test_scoring_rows_in_one_pass_gives_the_floats_of_scoring_events(
    log, tz, days, kin, unique
) -> None:
    if unique:  # as the store gives them: every row keyed by its id (the one-pass path)
        log = [(*r[:4], f"id:{i}", r[5]) for i, r in enumerate(log)]
    cadence = cadence_for(days, kin=kin)
    events = [Event(*r) for r in log]
    got = standing_of_rows(log, now=BASE, tz=tz, cadence=cadence)
    if unique:  # the store says its keys are distinct: the check is skipped, nothing else
        assert standing_of_rows(log, now=BASE, tz=tz, cadence=cadence, distinct_keys=True) == got
    if not events:
        assert got.standing is None
        return
    assert got.standing == standing(events, now=BASE, tz=tz, cadence=cadence)
    full = assess(events, now=BASE, tz=tz, cadence=cadence)
    st_ = got.standing
    assert st_ is not None
    assert (st_.score, st_.health, st_.due_on, st_.not_before, st_.last_at, st_.last_kind) == (
        full.score,
        full.health,
        full.due_on,
        full.not_before,
        full.last_at,
        full.last_kind,
    )
    assert st_.ball_in_court == full.ball_in_court


def test_a_day_with_more_interactions_of_one_kind_than_the_table_holds_scores_as_events_do() -> (
    None
):
    log = [
        (BASE - dt.timedelta(hours=3, minutes=i), "message", None, "both", f"id:{i}", None)
        for i in range(40)
    ]
    cadence = cadence_for(30, kin=False)
    got = standing_of_rows(log, now=BASE, tz=dt.UTC, cadence=cadence, distinct_keys=True)
    events = [Event(*r) for r in log]
    assert got.standing == standing(events, now=BASE, tz=dt.UTC, cadence=cadence)


@dataclass
class Book:
    """What the store would hold: contacts, their rows, derived columns, states, reminders."""

    tz: dt.tzinfo
    circle: dict[int, int | None]
    logs: dict[int, list[tuple]] = field(default_factory=dict)
    derived: dict[int, Derived] = field(default_factory=dict)
    states: dict = field(default_factory=dict)
    reminders: dict[int, StoredReminder] = field(default_factory=dict)
    updated: dict[int, dt.datetime] = field(default_factory=dict)
    next_id: int = 1

    def contacts(self, *, stored: bool) -> list[ContactState]:
        return [
            ContactState(
                id=cid,
                circle_id=circle,
                kin=False,
                cadence_override_days=None,
                archived=False,
                entered_on=dt.date(2024, 1, 1),
                created_at=BASE - dt.timedelta(days=500),
                updated_at=self.updated.get(cid, BASE - dt.timedelta(days=500)),
                derived=self.derived.get(cid, Derived(0.0, 0, None, None, None, None)),
                score_state=self.states.get(cid) if stored else None,
            )
            for cid, circle in sorted(self.circle.items())
        ]

    def versions(self) -> dict[int, str]:
        return {
            cid: f"{len(log)}:{max(r[4] for r in log)}" for cid, log in self.logs.items() if log
        }

    def histories(self, ids: set[int] | None = None) -> dict[int, History]:
        return {
            cid: History(
                recorded_at=[r[-1] for r in log],
                version=f"{len(log)}:{max(r[4] for r in log)}",
                rows=[(*r[:4], f"id:{r[4]}", r[5]) for r in log],
            )
            for cid, log in self.logs.items()
            if log and (ids is None or cid in ids)
        }


def _nightly(book: Book, now: dt.datetime, *, incremental: bool):  # type: ignore[no-untyped-def]
    contacts = book.contacts(stored=incremental)
    versions = book.versions()
    wanted = (
        needs_history(contacts, CIRCLES, versions, now=now, tz=book.tz) if incremental else None
    )
    return plan_reminders(
        9,
        contacts,
        book.histories(wanted),
        CIRCLES,
        list(book.reminders.values()),
        config=CONFIG,
        now=now,
        tz=book.tz,
        versions=versions if incremental else None,
    )


def _apply(book: Book, plan, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    book.derived.update(plan.derived)
    book.states.update(plan.score_states)
    for w in plan.reminders:
        old = book.reminders.get(w.contact_id)
        rid = old.id if old else w.contact_id
        day = w.day if w.day is not None else (old.day if old else now.date())
        book.reminders[w.contact_id] = StoredReminder(
            rid, w.contact_id, day, w.uid, w.sequence, w.state, now
        )


changes = st.lists(
    st.one_of(
        st.tuples(
            st.just("log"),
            st.integers(0, 5),
            st.sampled_from(sorted(KINDS)),
            st.integers(-3000, 600),
        ),
        st.tuples(
            st.just("circle"), st.integers(0, 5), st.sampled_from([None, 1, 2, 3]), st.just(0)
        ),
        st.tuples(st.just("forget"), st.integers(0, 5), st.just(""), st.just(0)),
        st.tuples(st.just("days"), st.integers(0, 40), st.just(""), st.integers(0, 23)),
    ),
    max_size=12,
)


@settings(max_examples=120, deadline=None, database=None)
@given(st.sampled_from(ZONES), st.lists(rows, min_size=1, max_size=6), changes)
def test_the_incremental_nightly_plan_equals_the_full_one_after_any_changes(
    tz, logs, steps
) -> None:
    book = Book(tz=tz, circle={cid: 1 + cid % 3 for cid in range(1, len(logs) + 1)})
    for cid, log in enumerate(logs, start=1):
        book.logs[cid] = []
        for r in log:
            book.logs[cid].append((*r[:4], book.next_id, r[5], r[0]))
            book.next_id += 1
    now = BASE
    _apply(book, _nightly(book, now, incremental=False), now)
    for what, n, value, minutes in steps:
        cid = 1 + n % len(logs)
        if what == "log":  # an interaction, a snooze, a skip: recorded now, maybe dated earlier
            at = now + dt.timedelta(minutes=minutes)
            until = (now + dt.timedelta(days=5)).date() if value == "snooze" else None
            book.logs[cid].append((at, value, None, "out", book.next_id, until, now))
            book.next_id += 1
        elif what == "circle":
            book.circle[cid] = value or None
            book.updated[cid] = now
        elif what == "forget" and book.logs[cid]:
            book.logs[cid].pop(0)
        elif what == "days":
            now += dt.timedelta(days=n, hours=minutes)
        full = _nightly(book, now, incremental=False)
        fast = _nightly(book, now, incremental=True)
        assert {c: book.derived.get(c) for c in book.circle} | dict(full.derived) == {
            c: book.derived.get(c) for c in book.circle
        } | dict(fast.derived)
        assert fast.schedule == full.schedule
        assert fast.reminders == full.reminders
        _apply(book, fast, now)
        # What the fast plan left stored is what a full plan stores.
        assert {c: replace(s) for c, s in book.states.items()} == {
            **book.states,
            **{c: s for c, s in full.score_states.items()},
        }
