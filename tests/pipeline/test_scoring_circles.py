"""Circles and cadences: the defaults of scoring.md 5.3, kin, overrides, several circles."""

from __future__ import annotations

import pytest

from pipeline.strength.circles import (
    DEFAULT_CIRCLES,
    KIN_MULTIPLIER,
    UNTRIAGED_CIRCLE,
    Cadence,
    Circle,
    cadence_for,
    cadence_for_circles,
    circle_named,
)


@pytest.mark.parametrize(
    ("name", "days", "slack", "tier"),
    [
        ("Inner", 7, 2.0, 0),
        ("Close", 30, 2.0, 1),
        ("Friends", 90, 2.0, 2),
        ("Network", 365, 3.0, 3),
        ("Operational", 30, 2.0, 2),
        ("Personal", 90, 2.0, 2),
        ("Strategic", 60, 2.0, 1),
    ],
)
def test_default_circles_follow_scoring_md_5_3(
    name: str, days: int, slack: float, tier: int
) -> None:
    circle = circle_named(name)
    assert circle == Circle(name, days, slack, tier)


def test_there_are_exactly_the_seven_default_circles_and_untriaged_go_to_friends() -> None:
    assert len(DEFAULT_CIRCLES) == 7
    assert circle_named(UNTRIAGED_CIRCLE) is not None
    assert circle_named("inner") == circle_named("INNER")
    assert circle_named("Acquaintances") is None


def test_strategic_ranks_before_the_other_ibarra_networks() -> None:
    tiers = {c.name: c.tier for c in DEFAULT_CIRCLES}
    assert tiers["Strategic"] < tiers["Operational"] == tiers["Personal"]


def test_kin_double_the_half_life_and_an_override_wins_over_both() -> None:
    assert KIN_MULTIPLIER == 2.0
    assert cadence_for(30, kin=True) == Cadence(60.0, 2.0, 1)
    assert cadence_for(30, kin=True, override_days=10).half_life_days == 10
    assert cadence_for(30, kin=False, override_days=45).half_life_days == 45


def test_custom_cadences_get_sensible_slack_and_tier() -> None:
    assert cadence_for(14, kin=False) == Cadence(14.0, 2.0, 1)
    assert cadence_for(3, kin=False).tier == 0
    assert cadence_for(730, kin=False) == Cadence(730.0, 3.0, 3)
    assert cadence_for(30, kin=False, slack=1.5, tier=2) == Cadence(30.0, 1.5, 2)


def test_several_circles_take_the_shortest_cadence_and_the_highest_tier() -> None:
    """scoring.md 2.3: shortest cadence, highest tier (lowest number) among the circles."""
    network, strategic, friends = (circle_named(n) for n in ("Network", "Strategic", "Friends"))
    assert network and strategic and friends
    assert cadence_for_circles([network, strategic, friends]) == Cadence(60.0, 2.0, 1)
    family = Circle("Family", 30, 2.0, 1, kin=True)
    assert cadence_for_circles([family]) == Cadence(60.0, 2.0, 1)
    assert cadence_for_circles([]) is None


@pytest.mark.parametrize("bad", [{"circle_days": 0}, {"circle_days": 30, "override_days": -1}])
def test_non_positive_cadences_are_rejected(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        cadence_for(bad["circle_days"], kin=False, override_days=bad.get("override_days"))
    with pytest.raises(ValueError):
        Circle("Broken", 0, 2.0, 0)
