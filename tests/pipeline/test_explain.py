"""Explanations: top contributions add up to S, the due date matches, the words read right."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.strength.circles import cadence_for
from pipeline.strength.explain import Contribution, explain, format_day, half_life_in_words
from pipeline.strength.scoring import WEIGHTS, Event, assess

BERLIN = ZoneInfo("Europe/Berlin")
BASE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
instants = st.integers(0, 2 * 366 * 24 * 60).map(lambda m: BASE + dt.timedelta(minutes=m))
events = st.builds(
    Event,
    at=instants,
    kind=st.sampled_from(sorted(WEIGHTS)),
    attendee_count=st.none() | st.integers(1, 40),
    direction=st.sampled_from([None, "in", "out"]),
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(events, max_size=25),
    instants,
    st.sampled_from([7, 30, 60, 90, 365]),
    st.booleans(),
)
def test_top_contributions_and_the_rest_add_up_to_the_score_and_the_due_date_matches(
    log: list[Event], now: dt.datetime, circle_days: int, kin: bool
) -> None:
    result = assess(log, now=now, tz=BERLIN, cadence=cadence_for(circle_days, kin=kin))
    why = result.explanation
    assert math.isclose(
        math.fsum([*(c.now for c in why.top), why.rest]), result.score, rel_tol=1e-12, abs_tol=1e-12
    )
    assert why.score == result.score
    assert why.due_on == result.due_on
    assert len(why.top) <= 3
    assert [c.now for c in why.top] == sorted((c.now for c in why.top), reverse=True)
    assert all(c.now <= c.credit for c in why.top)
    assert why.rest <= result.score


def test_sentence_names_the_biggest_contacts_the_half_life_and_the_due_day() -> None:
    t0 = dt.datetime(2024, 3, 12, 19, tzinfo=BERLIN)
    log = [
        Event(t0, "meal"),
        Event(t0 + dt.timedelta(days=10), "call"),
        Event(t0 + dt.timedelta(days=20), "message"),
        Event(t0 + dt.timedelta(days=20, minutes=5), "message"),
        Event(t0 - dt.timedelta(days=200), "coffee"),
    ]
    now = t0 + dt.timedelta(days=21)
    result = assess(log, now=now, tz=BERLIN, cadence=cadence_for(30, kin=False))
    why = result.explanation
    assert [c.kinds for c in why.top] == [("message",), ("meal",), ("call",)]
    assert why.top[0].credit == 1.5  # two messages the same day
    assert why.half_life_words == "every month"
    assert result.due_on is not None
    assert why.sentence.startswith("Counting most now: message on 1 Apr 2024 (1.5, now 1.5)")
    assert "meal on 12 Mar 2024 (2.0, now 1.2)" in why.sentence
    assert "Each contact loses half its weight every month." in why.sentence
    assert why.sentence.endswith(f"Reconnect by {format_day(result.due_on)}.")


def test_overdue_contacts_are_described_as_due_since_their_date() -> None:
    t0 = dt.datetime(2024, 3, 12, 9, tzinfo=BERLIN)
    result = assess(
        [Event(t0, "message")],
        now=t0 + dt.timedelta(days=40),
        tz=BERLIN,
        cadence=cadence_for(7, kin=False),
    )
    assert result.explanation.sentence.endswith("Due since 19 Mar 2024.")


def test_snooze_shows_in_the_sentence_while_it_lasts() -> None:
    t0 = dt.datetime(2024, 3, 12, 9, tzinfo=BERLIN)
    log = [Event(t0, "message"), Event(t0, "snooze", until=dt.date(2024, 5, 1))]
    sentence = assess(
        log, now=t0, tz=BERLIN, cadence=cadence_for(7, kin=False)
    ).explanation.sentence
    assert sentence.endswith("No reminder before 1 May 2024.")


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (7, "every week"),
        (14, "every 2 weeks"),
        (30, "every month"),
        (60, "every 2 months"),
        (90, "every 3 months"),
        (180, "every 6 months"),
        (365, "every year"),
        (730, "every 2 years"),
        (10, "every 10 days"),
        (1, "every day"),
        (10.5, "every 10.5 days"),
    ],
)
def test_half_life_reads_as_a_plain_rhythm(days: float, words: str) -> None:
    assert half_life_in_words(days) == words


def test_explain_keeps_every_contribution_when_there_are_few() -> None:
    parts = [Contribution(dt.date(2024, 1, d), ("call",), 1.5, 0.1 * d) for d in (1, 2)]
    why = explain(parts, score=0.3, half_life_days=30, due_on=None, today=dt.date(2024, 2, 1))
    assert [c.on.day for c in why.top] == [2, 1]
    assert why.rest == 0.0


def test_half_life_must_be_positive() -> None:
    with pytest.raises(ValueError):
        half_life_in_words(0)
