"""Hypothesis properties of the score and due date, named as in scoring.md section 4.1."""

from __future__ import annotations

import datetime as dt
import math
import random
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipeline.strength.circles import Cadence, cadence_for
from pipeline.strength.scoring import (
    BURST_RATIO,
    DAY_CAP,
    KINDS,
    THETA,
    WEIGHTS,
    Event,
    assess,
    day_credits,
    dedup_key,
    health,
    ingest,
    score,
    threshold_due_at,
)

settings.register_profile("scoring", max_examples=100, deadline=None, database=None)
settings.load_profile("scoring")

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
SPAN_MINUTES = 2 * 366 * 24 * 60
FAR = BASE + dt.timedelta(days=5000)
# Day bucketing is where real bugs hide: include DST zones, a half-hour DST shift and +05:30.
ZONES = [
    ZoneInfo(name)
    for name in ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
]

instants = st.integers(0, SPAN_MINUTES).map(lambda m: BASE + dt.timedelta(minutes=m))
zones = st.sampled_from(ZONES)
events = st.builds(
    Event,
    at=instants,
    kind=st.sampled_from(sorted(KINDS)),
    attendee_count=st.none() | st.integers(1, 40),
    direction=st.sampled_from([None, "in", "out", "both"]),
    key=st.none() | st.sampled_from("abcdefgh"),
    until=st.none() | st.integers(0, 900).map(lambda d: dt.date(2024, 1, 1) + dt.timedelta(d)),
)
credited = st.builds(
    Event,
    at=instants,
    kind=st.sampled_from(sorted(WEIGHTS)),
    attendee_count=st.none() | st.integers(1, 40),
)
logs = st.lists(events, max_size=16)
credited_logs = st.lists(credited, min_size=1, max_size=16)
half_lives = st.sampled_from([7.0, 14.0, 30.0, 60.0, 90.0, 365.0, 730.0]) | st.floats(1, 800)
cadences = st.builds(
    Cadence, half_life_days=half_lives, slack=st.floats(0.5, 4.0), tier=st.integers(0, 3)
)


def _days(delta: dt.timedelta) -> float:
    return delta / dt.timedelta(days=1)


@given(logs, instants, st.integers(0, 400 * 24 * 60), half_lives, zones)
def test_score_never_rises_without_new_interactions(
    log: list[Event], t1: dt.datetime, gap_minutes: int, h: float, tz: ZoneInfo
) -> None:
    """S1 Monotone decay: no events in (t1, t2] => S(t2) <= S(t1)."""
    t2 = t1 + dt.timedelta(minutes=gap_minutes)
    quiet = [e for e in log if not t1 < e.at <= t2]
    assert score(quiet, at=t2, tz=tz, half_life_days=h) <= score(
        quiet, at=t1, tz=tz, half_life_days=h
    )


@given(logs, instants, half_lives, zones)
def test_score_halves_after_exactly_one_half_life(
    log: list[Event], t: dt.datetime, h: float, tz: ZoneInfo
) -> None:
    """S2 Half-life: no events in (t, t + h] => S(t + h) = S(t) / 2 (rel 1e-9)."""
    later = t + dt.timedelta(days=h)
    quiet = [e for e in log if not t < e.at <= later]
    before = score(quiet, at=t, tz=tz, half_life_days=h)
    after = score(quiet, at=later, tz=tz, half_life_days=h)
    assert math.isclose(after, before / 2, rel_tol=1e-9)


@given(logs, credited, cadences, zones)
def test_adding_an_interaction_never_lowers_the_score_or_brings_the_due_date_forward(
    log: list[Event], extra: Event, cadence: Cadence, tz: ZoneInfo
) -> None:
    """S3 Adding never lowers: e not in E, t_e <= t => S(E + e, t) >= S(E, t), t*(E + e) >= t*(E)
    (t* before back-off)."""
    assume(dedup_key(extra) not in {dedup_key(e) for e in log})
    h = cadence.half_life_days
    now = BASE + dt.timedelta(minutes=SPAN_MINUTES)
    grown = [*log, extra]
    assert score(grown, at=now, tz=tz, half_life_days=h) >= score(
        log, at=now, tz=tz, half_life_days=h
    )
    old = threshold_due_at(day_credits(log, now=FAR, tz=tz), cadence)
    new = threshold_due_at(day_credits(grown, now=FAR, tz=tz), cadence)
    assert new is not None
    assert old is None or new >= old


@given(logs, st.randoms(use_true_random=False), cadences, instants, zones)
def test_assessment_is_bitwise_independent_of_event_order(
    log: list[Event], rnd: random.Random, cadence: Cadence, now: dt.datetime, tz: ZoneInfo
) -> None:
    """S4 Order independence: score(perm(E)) == score(E) bitwise, and likewise due, health and
    the explanation."""
    shuffled = list(log)
    rnd.shuffle(shuffled)
    assert assess(shuffled, now=now, tz=tz, cadence=cadence) == assess(
        log, now=now, tz=tz, cadence=cadence
    )


@given(logs, cadences, instants, zones)
def test_ingesting_the_same_events_twice_changes_nothing(
    log: list[Event], cadence: Cadence, now: dt.datetime, tz: ZoneInfo
) -> None:
    """S5 Idempotent ingest: score(E ++ E) == score(E); ingest(ingest(E)) == ingest(E)."""
    assert ingest(ingest(log)) == ingest(log)
    assert ingest(log + log) == ingest(log)
    assert assess(log + log, now=now, tz=tz, cadence=cadence) == assess(
        log, now=now, tz=tz, cadence=cadence
    )


@given(logs, st.lists(credited, max_size=5), instants, half_lives, zones)
def test_future_events_do_not_leak_into_the_score(
    log: list[Event], future: list[Event], t: dt.datetime, h: float, tz: ZoneInfo
) -> None:
    """S8 No future leakage: events with t_e > t do not change S(t)."""
    later = [e for e in future if e.at > t]
    past = [e for e in log if e.at <= t]
    assert score(past + later, at=t, tz=tz, half_life_days=h) == score(
        past, at=t, tz=tz, half_life_days=h
    )


@given(logs, instants, st.integers(-3000, 3000), half_lives)
def test_shifting_everything_by_whole_days_leaves_the_score_unchanged(
    log: list[Event], t: dt.datetime, shift_days: int, h: float
) -> None:
    """S9 Time translation (UTC config)."""
    shift = dt.timedelta(days=shift_days)
    moved = [Event(e.at + shift, e.kind, e.attendee_count, e.direction, e.key) for e in log]
    utc = ZoneInfo("UTC")
    assert score(moved, at=t + shift, tz=utc, half_life_days=h) == score(
        log, at=t, tz=utc, half_life_days=h
    )


@given(
    st.lists(
        st.tuples(st.integers(0, 24 * 60 - 1), st.sampled_from(sorted(WEIGHTS))),
        min_size=1,
        max_size=40,
    ),
    zones,
)
def test_one_busy_day_is_bounded_by_the_burst_rule_and_the_day_cap(
    minutes_kinds: list[tuple[int, str]], tz: ZoneInfo
) -> None:
    """S6 Burst bound: one (day, kind) group <= w / (1 - rho); any day <= C_day.
    S7 Burst monotone: adding an event to the day never lowers its credit."""
    midnight = dt.datetime(2024, 6, 3, tzinfo=tz)
    day_events = [
        Event(midnight + dt.timedelta(minutes=m), kind, key=str(n))
        for n, (m, kind) in enumerate(minutes_kinds)
    ]
    [whole] = day_credits(day_events, now=FAR, tz=tz)
    kinds = {kind for _, kind in minutes_kinds}
    assert whole.credit <= min(DAY_CAP, sum(WEIGHTS[k] / (1 - BURST_RATIO) for k in kinds))
    [fewer] = day_credits(day_events[:-1] or day_events, now=FAR, tz=tz)
    assert fewer.credit <= whole.credit


@given(logs, instants, half_lives, zones)
def test_score_and_health_stay_within_bounds(
    log: list[Event], t: dt.datetime, h: float, tz: ZoneInfo
) -> None:
    """S11 Bounds: 0 <= S, 0 <= H < 100. scoring.md 4.1 states S <= C_day / (1 - 2^(-1/h)), which
    assumes anchors a whole day apart; consecutive local days' anchors can be minutes apart
    (23:59, 00:01) and DST days last 23 h, so the sound bound has one extra C_day."""
    s = score(log, at=t, tz=tz, half_life_days=h)
    assert 0 <= s <= DAY_CAP * (1 + 1 / (1 - 2 ** (-1 / h)))
    assert 0 <= health(s) < 100


near_theta = st.floats(THETA - 0.02, THETA + 0.02)


@given(st.floats(0, 50) | near_theta, st.floats(0, 50) | near_theta)
def test_health_is_monotone_and_at_most_39_exactly_when_due(a: float, b: float) -> None:
    """S12 Health <-> due: H monotone in S; S <= theta <=> H <= 39."""
    low, high = sorted((a, b))
    assert health(low) <= health(high)
    assert (low <= THETA) == (health(low) <= 39)


@given(logs, cadences, st.integers(0, 2000 * 24 * 60), st.integers(0, 2000 * 24 * 60), zones)
def test_due_date_does_not_depend_on_when_it_is_computed(
    log: list[Event], cadence: Cadence, after1: int, after2: int, tz: ZoneInfo
) -> None:
    """S13 Due invariant in compute time: due(E) at any t >= tau_last with no new events is
    identical."""
    last = max((e.at for e in log), default=BASE)
    first = assess(log, now=last + dt.timedelta(minutes=after1), tz=tz, cadence=cadence)
    second = assess(log, now=last + dt.timedelta(minutes=after2), tz=tz, cadence=cadence)
    assert (first.due_at, first.due_on) == (second.due_at, second.due_on)


@given(
    st.lists(credited, min_size=1, max_size=6),
    st.builds(Cadence, half_life_days=half_lives, slack=st.floats(2.0, 4.0), tier=st.just(0)),
    zones,
    st.floats(0, 0.999),
)
def test_score_equals_the_threshold_on_the_due_date_when_not_capped(
    log: list[Event], cadence: Cadence, tz: ZoneInfo, fraction: float
) -> None:
    """S14 Threshold crossing: if uncapped, S(t*) = theta (rel 1e-9) and S(t) > theta for
    tau_last <= t < t*."""
    h = cadence.half_life_days
    contact_days = day_credits(log, now=FAR, tz=tz)
    last = contact_days[-1].anchor
    due = threshold_due_at(contact_days, cadence)
    assert due is not None
    cadences_bought = _days(due - last) / h
    assume(1e-6 < cadences_bought < cadence.slack - 1e-6)  # neither the floor nor the cap binds
    assert math.isclose(score(log, at=due, tz=tz, half_life_days=h), THETA, rel_tol=1e-9)
    between = last + (due - last) * fraction
    assert score(log, at=between, tz=tz, half_life_days=h) > THETA


@given(credited_logs, cadences, zones)
def test_silence_before_due_never_exceeds_the_slack_cap(
    log: list[Event], cadence: Cadence, tz: ZoneInfo
) -> None:
    """S15 Slack cap: t* - tau_last <= M * h (to the microsecond t* is rounded to)."""
    contact_days = day_credits(log, now=FAR, tz=tz)
    due = threshold_due_at(contact_days, cadence)
    assert due is not None
    limit = dt.timedelta(days=cadence.slack * cadence.half_life_days, microseconds=1)
    assert dt.timedelta(0) <= due - contact_days[-1].anchor <= limit


@given(credited_logs, st.sampled_from([7, 30, 60, 90, 365]), zones)
def test_kin_are_never_due_earlier_than_non_kin(log: list[Event], days: int, tz: ZoneInfo) -> None:
    """S18 Kin slack: same events => t*_kin >= t*_nonkin."""
    contact_days = day_credits(log, now=FAR, tz=tz)
    kin = threshold_due_at(contact_days, cadence_for(days, kin=True))
    other = threshold_due_at(contact_days, cadence_for(days, kin=False))
    assert kin is not None and other is not None and kin >= other


@given(logs, st.lists(st.sampled_from([None, "in", "out", "both"]), min_size=16, max_size=16))
def test_who_initiated_does_not_change_the_score(
    log: list[Event], directions: list[str | None]
) -> None:
    """S19 Direction-neutral default: remapping directions leaves S unchanged (keys kept, so
    the remap cannot merge or split events)."""
    keyed = [Event(e.at, e.kind, e.attendee_count, e.direction, f"k{i}") for i, e in enumerate(log)]
    remapped = [
        Event(e.at, e.kind, e.attendee_count, d, e.key)
        for e, d in zip(keyed, directions, strict=False)
    ]
    at = BASE + dt.timedelta(minutes=SPAN_MINUTES)
    utc = ZoneInfo("UTC")
    assert score(remapped, at=at, tz=utc, half_life_days=30) == score(
        keyed, at=at, tz=utc, half_life_days=30
    )


@given(logs, cadences, instants, zones)
def test_back_off_never_makes_a_reminder_earlier(
    log: list[Event], cadence: Cadence, now: dt.datetime, tz: ZoneInfo
) -> None:
    """C10 Back-off never earlier: t*_eff >= t*."""
    result = assess(log, now=now, tz=tz, cadence=cadence)
    raw = threshold_due_at(day_credits(log, now=now, tz=tz), cadence)
    assert (result.due_at is None) == (raw is None)
    if result.due_at is not None and raw is not None:
        assert result.due_at >= raw
        assert result.due_on == result.due_at.astimezone(tz).date()
