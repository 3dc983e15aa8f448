"""Scheduler examples: the scoring.md 3.3 demo, fuzz windows, caps, cold start, freeze, backlog."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.strength.schedule import (
    Plan,
    ScheduleItem,
    SchedulerConfig,
    cold_start_due_on,
    fuzz_days,
    is_over_capacity,
    schedule,
    stable_hash,
    window,
)

MONDAY = dt.date(2024, 5, 6)
OPEN = SchedulerConfig(weekday_factors=(1.0,) * 7)


def day(n: int) -> dt.date:
    return MONDAY + dt.timedelta(days=n)


def item(
    contact_id: int,
    due: int | None,
    tier: int = 1,
    cadence: float = 30,
    *,
    not_before: dt.date | None = None,
    changed_since_publish: bool = False,
    ball_in_court: bool = False,
) -> ScheduleItem:
    return ScheduleItem(
        contact_id,
        None if due is None else day(due),
        tier,
        cadence,
        not_before=not_before,
        changed_since_publish=changed_since_publish,
        ball_in_court=ball_in_court,
    )


def offsets(plan: Plan) -> dict[int, int]:
    return {cid: (d - MONDAY).days for cid, d in plan.placements.items()}


def test_scoring_md_demo_spreads_fifteen_reminders_due_the_same_day() -> None:
    """scoring.md 3.3 demo: 12 Close + 3 Inner ideally due on day 10, N_day 3, Saturday half,
    Sunday off, s = 2 -> loads 2, 2, 2, 3, 2, 1, 0, 2, 1 on days 7..15, no backlog, Inner on 9-10."""
    inner = [item(i, 10, tier=0, cadence=7) for i in range(3)]
    close = [item(100 + i, 10, tier=1, cadence=30) for i in range(12)]
    plan = schedule(inner + close, today=MONDAY, config=SchedulerConfig())
    assert plan.backlog == ()
    assert [plan.loads.get(day(n), 0) for n in range(7, 16)] == [2, 2, 2, 3, 2, 1, 0, 2, 1]
    assert sorted(offsets(plan)[i] for i in range(3)) == [9, 10, 10]


@pytest.mark.parametrize(
    ("cadence", "half_width", "anki_window"),
    [(7, 2, (5, 9)), (30, 3, (27, 33)), (90, 6, (84, 96)), (365, 20, (345, 385)), (2, 0, (2, 2))],
)
def test_fuzz_window_matches_ankis(
    cadence: int, half_width: int, anki_window: tuple[int, int]
) -> None:
    """scoring.md 1.6 / 5.4: Anki's delta(I) gives 7 -> [5, 9], 30 -> [27, 33], 90 -> [84, 96],
    365 -> [345, 385]; intervals under 2.5 days are not fuzzed."""
    assert fuzz_days(cadence) == half_width
    win = window(
        item(1, cadence, cadence=cadence), today=MONDAY, config=SchedulerConfig(horizon_days=400)
    )
    assert win is not None
    assert ((win.lo - MONDAY).days, (win.hi - MONDAY).days) == anki_window


def test_uncongested_reminder_lands_on_its_ideal_day() -> None:
    assert offsets(schedule([item(1, 17)], today=MONDAY)) == {1: 17}


def test_overdue_contacts_are_placed_from_today() -> None:
    plan = schedule([item(1, -40), item(2, -3)], today=MONDAY, config=OPEN)
    assert offsets(plan) == {1: 0, 2: 0}


def test_most_overdue_goes_first_when_today_is_short() -> None:
    cfg = SchedulerConfig(per_day=1, weekday_factors=(1.0,) * 7)
    plan = schedule([item(1, -3), item(2, -40)], today=MONDAY, config=cfg)
    assert offsets(plan) == {2: 0, 1: 1}


def test_never_before_not_before() -> None:
    plan = schedule([item(1, 2, not_before=day(9))], today=MONDAY)
    assert offsets(plan) == {1: 9}


def test_contacts_due_past_the_horizon_are_deferred_not_placed() -> None:
    plan = schedule([item(1, 200), item(2, 5)], today=MONDAY)
    assert plan.deferred == (1,)
    assert set(plan.placements) == {2}


def test_contacts_without_a_due_date_are_unscheduled() -> None:
    plan = schedule([item(7, None)], today=MONDAY)
    assert (plan.unscheduled, dict(plan.placements), plan.backlog) == ((7,), {}, ())


def test_full_calendar_goes_to_a_visible_backlog_in_priority_order() -> None:
    cfg = SchedulerConfig(per_day=1, horizon_days=2, weekday_factors=(1.0,) * 7)
    items = [item(i, 0, tier=3 - i % 4) for i in range(8)]
    plan = schedule(items, today=MONDAY, config=cfg)
    assert sorted(items[cid].tier for cid in plan.placements) == [0, 0, 1]
    assert [items[cid].tier for cid in plan.backlog] == [1, 2, 2, 3, 3]


def test_a_full_window_spills_later_never_earlier() -> None:
    cfg = SchedulerConfig(per_day=1, soft_target=1, weekday_factors=(1.0,) * 7)
    items = [item(i, 20, cadence=7) for i in range(8)]
    placed = sorted(offsets(schedule(items, today=MONDAY, config=cfg)).values())
    assert placed == [18, 19, 20, 21, 22, 23, 24, 25]  # window 18..22, then spill to 23..25


def test_inner_contacts_are_never_pushed_out_by_acquaintances() -> None:
    cfg = SchedulerConfig(per_day=1, horizon_days=3, weekday_factors=(1.0,) * 7)
    network = [item(100 + i, 0, tier=3, cadence=365) for i in range(10)]
    plan = schedule([*network, item(1, 1, tier=0, cadence=7)], today=MONDAY, config=cfg)
    assert offsets(plan)[1] == 1


def test_ball_in_the_users_court_goes_first_within_its_tier() -> None:
    cfg = SchedulerConfig(per_day=1, weekday_factors=(1.0,) * 7)
    plan = schedule([item(1, 0), item(2, 0, ball_in_court=True)], today=MONDAY, config=cfg)
    assert offsets(plan)[2] == 0


def test_bulk_triage_adds_at_most_one_cold_start_reminder_a_day() -> None:
    """C13 Bulk-import flood guard: 500 history-less contacts put into Friends on one day."""
    items = [
        ScheduleItem(i, cold_start_due_on(i, MONDAY, 90), 2, 90, cold_start=True)
        for i in range(500)
    ]
    plan = schedule([*items, item(1000, 3, tier=0, cadence=7)], today=MONDAY, config=OPEN)
    assert max(plan.loads.values()) == 2  # one cold start plus the inner contact on day 3
    assert offsets(plan)[1000] == 3
    cold_days = [d for cid, d in plan.placements.items() if cid < 500]
    assert len(cold_days) == len(set(cold_days)) == 91  # one a day over the whole horizon
    assert len(plan.backlog) + len(plan.deferred) + 91 == 500


def test_cold_start_offsets_spread_over_one_cadence_and_are_stable() -> None:
    """S17 Cold start: offset in [0, T_c) and equal across runs."""
    days = [cold_start_due_on(i, MONDAY, 30) for i in range(300)]
    assert days == [cold_start_due_on(i, MONDAY, 30) for i in range(300)]
    assert min(days) >= MONDAY and max(days) < day(30)
    assert len(set(days)) == 30


def test_stable_hash_is_pinned_so_cold_start_dates_never_reshuffle() -> None:
    assert stable_hash(1) == 0x6B86B273
    assert stable_hash(1) != stable_hash(2)


def test_freeze_keeps_a_published_reminder_on_its_day() -> None:
    """C9 Freeze: a reminder published inside [D0, D0 + F) stays unless the contact changed."""
    published = {1: day(1)}
    kept = schedule([item(1, 5)], today=MONDAY, published=published)
    assert offsets(kept) == {1: 1} and kept.frozen == (1,)
    moved = schedule([item(1, 5, changed_since_publish=True)], today=MONDAY, published=published)
    assert offsets(moved) == {1: 5} and moved.frozen == ()
    beyond = schedule([item(1, 5)], today=MONDAY, published={1: day(3)})
    assert offsets(beyond) == {1: 5}


def test_frozen_reminders_still_respect_the_caps() -> None:
    cfg = SchedulerConfig(per_day=1, weekday_factors=(1.0,) * 7)
    published = {1: MONDAY, 2: MONDAY}
    plan = schedule([item(1, 0), item(2, 0)], today=MONDAY, config=cfg, published=published)
    assert plan.loads[MONDAY] == 1
    assert len(plan.frozen) == 1


def test_a_contact_listed_twice_is_an_error() -> None:
    with pytest.raises(ValueError, match="once"):
        schedule([item(1, 1), item(1, 2)], today=MONDAY)


@pytest.mark.parametrize(
    "bad",
    [
        {"per_day": -1},
        {"soft_target": 0},
        {"weekday_factors": (1.0,) * 6},
        {"weekday_factors": (1.0,) * 6 + (2.0,)},
    ],
)
def test_invalid_scheduler_config_is_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SchedulerConfig(**bad)  # type: ignore[arg-type]


def test_capacity_check_flags_a_network_the_weekly_cap_cannot_carry() -> None:
    """scoring.md 3.4: warn when 7 * sum(1 / T) > 0.8 * N_week."""
    small = [7.0] * 5 + [30.0] * 10
    dunbar = small + [90.0] * 35 + [365.0] * 100  # about 1.71 reminders a day
    assert not is_over_capacity(small, SchedulerConfig())
    assert is_over_capacity(dunbar, SchedulerConfig())
    assert not is_over_capacity(dunbar, SchedulerConfig(per_week=20))


def test_items_need_a_positive_cadence() -> None:
    with pytest.raises(ValueError, match="cadence"):
        ScheduleItem(1, MONDAY, 0, 0)
