"""Scoring examples: the worked tables of scoring.md 2.4 and 2.5, weights, bursts, lifecycle."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from pipeline.strength.circles import Cadence, cadence_for
from pipeline.strength.scoring import (
    DAY_CAP,
    THETA,
    Event,
    assess,
    day_credits,
    group_factor,
    health,
    health_series,
    score,
    threshold_due_at,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.UTC
INNER = cadence_for(7, kin=False, slack=2.0, tier=0)
T0 = dt.datetime(2024, 3, 4, 12, 0, tzinfo=BERLIN)  # a Monday, well away from DST changes


def _days(delta: dt.timedelta) -> float:
    return delta / dt.timedelta(days=1)


def _at(days: float = 0, minutes: int = 0) -> dt.datetime:
    return T0 + dt.timedelta(days=days, minutes=minutes)


WORKED_EXAMPLES = [
    ("one composed message", [Event(_at(), "message")], 1.0, 7.0),
    ("one call", [Event(_at(), "call")], 1.5, 7 * math.log2(3)),  # 11.1 d
    ("one meeting", [Event(_at(), "meeting")], 2.0, 14.0),
    (
        "a 50-message exchange in one day",
        [Event(_at(minutes=i), "message") for i in range(50)],
        2.0,
        14.0,
    ),
    ("one group-chat message only", [Event(_at(), "group-message")], 0.5, 0.0),
    (
        "a message every week for 10 weeks",
        [Event(_at(days=7 * i), "message") for i in range(10)],
        2.0,
        14.0,
    ),
    (
        "a message every day for a year",
        [Event(_at(days=i), "message") for i in range(365)],
        10.6,
        14.0,
    ),
]


@pytest.mark.parametrize(
    ("history", "events", "score_after", "due_in_days"),
    WORKED_EXAMPLES,
    ids=[row[0] for row in WORKED_EXAMPLES],
)
def test_worked_examples_for_the_inner_circle_match_scoring_md_2_4(
    history: str, events: list[Event], score_after: float, due_in_days: float
) -> None:
    """scoring.md 2.4 table: Inner (h = 7 d, theta = 0.5, M = 2), right after the last contact."""
    last = max(e.at for e in events)
    result = assess(events, now=last, tz=BERLIN, cadence=INNER)
    assert result.score == pytest.approx(score_after, abs=0.01)
    assert result.due_at is not None
    assert _days(result.due_at - last) == pytest.approx(due_in_days, abs=0.02)


@pytest.mark.parametrize(
    ("s", "expected"),
    [(0.0, 0), (THETA, 39), (2 * THETA, 63), (4 * THETA, 86), (8 * THETA, 98), (1e6, 99)],
)
def test_health_bands_follow_scoring_md_2_5(s: float, expected: int) -> None:
    """scoring.md 2.5: theta -> 39.3, 2 theta -> 63, 4 theta -> 86.5, 8 theta -> 98 (floored)."""
    assert health(s) == expected


def test_health_just_above_the_threshold_is_never_shown_as_due() -> None:
    assert health(THETA + 1e-9) == 40
    assert health(THETA) == 39


def test_message_sustains_one_cadence_and_meeting_two_in_every_circle() -> None:
    for days in (7, 30, 90, 365):
        cadence = cadence_for(days, kin=False)
        for kind, cadences in (("message", 1.0), ("meeting", 2.0)):
            due = threshold_due_at(day_credits([Event(T0, kind)], now=T0, tz=BERLIN), cadence)
            assert due is not None
            assert _days(due - T0) == pytest.approx(days * cadences)


def test_a_crowd_counts_a_quarter_and_up_to_four_people_count_fully() -> None:
    assert [group_factor(n) for n in (None, 1, 2, 3, 4)] == [1.0] * 5
    assert group_factor(7) == 0.5
    assert group_factor(30) == 0.25
    big = score([Event(T0, "event", attendee_count=30)], at=T0, tz=BERLIN, half_life_days=7)
    assert big == pytest.approx(0.75 * 0.25)


def test_attendee_count_does_not_scale_calls_or_messages() -> None:
    s = score([Event(T0, "call", attendee_count=30)], at=T0, tz=BERLIN, half_life_days=7)
    assert s == 1.5


def test_fifty_messages_in_a_day_count_less_than_two_messages() -> None:
    """S6: a (day, kind) group is bounded by w / (1 - rho); 50 messages <= 2 x one message."""
    burst = [Event(_at(minutes=i), "message") for i in range(50)]
    credit = day_credits(burst, now=_at(1), tz=BERLIN)
    assert len(credit) == 1
    assert 1.99 < credit[0].credit < 2.0


def test_one_day_never_credits_more_than_the_day_cap() -> None:
    """S6: any day <= C_day, however many kinds of contact it holds."""
    kinds = ["coffee", "meal", "meeting", "call", "video", "message", "intro"]
    events = [Event(_at(minutes=i), k) for i, k in enumerate(kinds)]
    [credit] = day_credits(events, now=_at(1), tz=BERLIN)
    assert credit.credit == DAY_CAP
    assert credit.anchor == _at(minutes=len(kinds) - 1)


def test_burst_credit_grows_with_each_extra_event_of_the_same_day() -> None:
    """S7: group credit non-decreasing in n."""
    grown = [
        day_credits([Event(_at(minutes=i), "message") for i in range(n)], now=_at(1), tz=BERLIN)[
            0
        ].credit
        for n in range(1, 10)
    ]
    assert grown == sorted(grown)
    assert grown[:3] == [1.0, 1.5, 1.75]


def test_day_boundaries_are_the_users_local_days_not_utc_days() -> None:
    late = dt.datetime(2024, 3, 30, 23, 30, tzinfo=BERLIN)  # 22:30 UTC
    early = dt.datetime(2024, 3, 31, 0, 30, tzinfo=BERLIN)  # 23:30 UTC the same UTC day
    events = [Event(late, "message"), Event(early, "message")]
    assert len(day_credits(events, now=early, tz=BERLIN)) == 2
    assert [c.credit for c in day_credits(events, now=early, tz=UTC)] == [1.5]


def test_lifecycle_events_carry_no_credit() -> None:
    events = [
        Event(T0, kind, until=T0.date() + dt.timedelta(days=3))
        for kind in ("snooze", "skip", "done", "planned")
    ]
    result = assess(events, now=_at(1), tz=BERLIN, cadence=INNER)
    assert result.score == 0.0
    assert result.due_on is None
    assert result.health == 0


def test_no_interaction_at_all_means_no_due_date() -> None:
    result = assess([], now=T0, tz=BERLIN, cadence=INNER)
    assert (result.score, result.due_on, result.last_at, result.not_before) == (0, None, None, None)
    assert "No interactions" in result.explanation.sentence


def test_snooze_sets_not_before_to_its_day() -> None:
    until = T0.date() + dt.timedelta(days=20)
    events = [Event(T0, "message"), Event(_at(1), "snooze", until=until)]
    assert assess(events, now=_at(2), tz=BERLIN, cadence=INNER).not_before == until


def test_skip_holds_the_reminder_back_for_half_a_cadence() -> None:
    monthly = cadence_for(30, kin=False)
    events = [Event(T0, "message"), Event(_at(31), "skip")]
    result = assess(events, now=_at(31), tz=BERLIN, cadence=monthly)
    assert result.not_before == _at(31).date() + dt.timedelta(days=15)


def test_planned_meeting_suppresses_reminders_until_the_day_after_it() -> None:
    planned = _at(40)
    events = [Event(T0, "message"), Event(planned, "planned")]
    result = assess(events, now=_at(10), tz=BERLIN, cadence=INNER)
    assert result.not_before == planned.date() + dt.timedelta(days=1)
    assert result.score == pytest.approx(2 ** (-10 / 7))  # the planned meeting adds no credit


def test_done_keeps_the_reminder_off_until_tomorrow() -> None:
    events = [Event(T0, "message"), Event(_at(9), "done")]
    result = assess(events, now=_at(9), tz=BERLIN, cadence=INNER)
    assert result.not_before == _at(10).date()


def test_future_interactions_do_not_count_yet() -> None:
    """S8 by example: as-of semantics, E(t) = {e : t_e <= t}."""
    events = [Event(T0, "message"), Event(_at(3), "meeting")]
    result = assess(events, now=_at(1), tz=BERLIN, cadence=INNER)
    assert result.last_kind == "message"
    assert result.score == pytest.approx(2 ** (-1 / 7))


def test_kin_halve_the_decay_rate() -> None:
    kin = cadence_for(30, kin=True)
    assert kin.half_life_days == 60
    due = threshold_due_at(day_credits([Event(T0, "message")], now=T0, tz=BERLIN), kin)
    assert due is not None and _days(due - T0) == pytest.approx(60)


def test_two_unanswered_messages_push_the_due_date_back_one_cadence() -> None:
    """scoring.md 2.6 back-off: k >= 2 outbound-only async days add min(k - 1, 3) cadences."""
    reply = Event(T0, "message", direction="in")
    chase = [Event(_at(d), "message", direction="out") for d in (7, 14)]
    plain = assess([reply, *chase[:1]], now=_at(14), tz=BERLIN, cadence=INNER)
    chased = assess([reply, *chase], now=_at(14), tz=BERLIN, cadence=INNER)
    assert plain.backoff_days == 0
    assert chased.backoff_days == 7
    raw = threshold_due_at(day_credits([reply, *chase], now=_at(14), tz=BERLIN), INNER)
    assert chased.due_at is not None and raw is not None
    assert chased.due_at - raw == dt.timedelta(days=7)
    assert "unanswered" in chased.explanation.sentence


def test_back_off_stops_at_three_cadences() -> None:
    chase = [Event(_at(d), "email", direction="out") for d in range(0, 70, 7)]
    assert assess(chase, now=_at(70), tz=BERLIN, cadence=INNER).backoff_days == 21


def test_a_call_ends_the_back_off_streak() -> None:
    events = [
        Event(_at(0), "message", direction="out"),
        Event(_at(1), "message", direction="out"),
        Event(_at(2), "call", direction="out"),
    ]
    assert assess(events, now=_at(3), tz=BERLIN, cadence=INNER).backoff_days == 0


def test_unanswered_inbound_message_puts_the_ball_in_the_users_court_after_two_days() -> None:
    events = [Event(T0, "message", direction="in")]
    assert not assess(events, now=_at(2), tz=BERLIN, cadence=INNER).ball_in_court
    assert assess(events, now=_at(3), tz=BERLIN, cadence=INNER).ball_in_court
    answered = [*events, Event(_at(1), "message", direction="out")]
    assert not assess(answered, now=_at(3), tz=BERLIN, cadence=INNER).ball_in_court


def test_absolute_score_uses_a_thirty_day_half_life_whatever_the_circle() -> None:
    events = [Event(T0, "message")]
    for days in (7, 365):
        now = T0.astimezone(UTC) + dt.timedelta(days=30)  # absolute time: DST falls in between
        result = assess(events, now=now, tz=BERLIN, cadence=cadence_for(days, kin=False))
        assert result.absolute_score == pytest.approx(0.5)


def test_health_series_is_oldest_first_and_ends_today() -> None:
    series = health_series(
        [Event(T0, "meeting")], today=_at(20).date(), tz=BERLIN, cadence=INNER, days=25
    )
    assert len(series) == 25
    assert series[:4] == [0, 0, 0, 0]  # before the meeting
    assert series[4] == health(2 * 2 ** (-0.5 / 7))  # midnight after the noon meeting
    assert series[4:] == sorted(series[4:], reverse=True)


def test_health_series_handles_a_dst_change_in_the_window() -> None:
    series = health_series(
        [Event(dt.datetime(2024, 3, 20, 9, tzinfo=BERLIN), "call")],
        today=dt.date(2024, 4, 5),
        tz=BERLIN,
        cadence=cadence_for(30, kin=False),
        days=30,
    )
    assert len(series) == 30
    assert series[-16:] == sorted(series[-16:], reverse=True)


def test_naive_datetimes_and_unknown_kinds_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        Event(dt.datetime(2024, 1, 1), "message")  # noqa: DTZ001
    with pytest.raises(ValueError, match="kind"):
        Event(T0, "poke")
    with pytest.raises(ValueError, match="direction"):
        Event(T0, "message", direction="sideways")
    with pytest.raises(ValueError):
        Cadence(half_life_days=0, slack=2, tier=0)
