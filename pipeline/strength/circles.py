"""Default circles (Dunbar layers, Ibarra networks) and the cadence each one gives a contact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Burt (2000): kin ties decay with a half-life about 2.1x that of other personal ties, and
# Roberts & Dunbar (2015) found kin closeness does not fall with less contact (scoring.md 5.2).
KIN_MULTIPLIER = 2.0

# DESIGN.md 5: logging an interaction with an untriaged contact puts it in Friends.
UNTRIAGED_CIRCLE = "Friends"


@dataclass(frozen=True, slots=True)
class Circle:
    """A circle's intention: the cadence `T_c` in days, the slack `M_c` and the scheduling tier.

    `slack` is the longest silence, in cadences, that a rich history can buy before the contact is
    due (scoring.md 2.4). Tier 0 is placed first by the scheduler.
    """

    name: str
    cadence_days: int
    slack: float
    tier: int
    kin: bool = False

    def __post_init__(self) -> None:
        if self.cadence_days <= 0 or self.slack <= 0 or self.tier < 0:
            raise ValueError(f"circle {self.name!r}: cadence and slack must be > 0, tier >= 0")


# scoring.md 5.3: Dunbar's layers meet weekly / monthly / ~6-monthly / yearly; the Ibarra
# networks are purposes, their cadences product defaults, with strategic contacts ranked first.
DEFAULT_CIRCLES: tuple[Circle, ...] = (
    Circle("Inner", 7, 2.0, 0),
    Circle("Close", 30, 2.0, 1),
    Circle("Friends", 90, 2.0, 2),
    Circle("Network", 365, 3.0, 3),
    Circle("Strategic", 60, 2.0, 1),
    Circle("Operational", 30, 2.0, 2),
    Circle("Personal", 90, 2.0, 2),
)


@dataclass(frozen=True, slots=True)
class Cadence:
    """What scoring and scheduling need of a contact's circle.

    `half_life_days` is the effective cadence `h`: the circle's `T_c`, doubled for kin, or the
    user's per-contact override. Scoring decays by it; the scheduler windows and skips by it.
    """

    half_life_days: float
    slack: float
    tier: int

    def __post_init__(self) -> None:
        if not self.half_life_days > 0 or not self.slack > 0 or self.tier < 0:
            raise ValueError("cadence: half-life and slack must be > 0, tier >= 0")


def circle_named(name: str, circles: Sequence[Circle] = DEFAULT_CIRCLES) -> Circle | None:
    """The circle called `name` (case-insensitive), or None."""
    wanted = name.casefold()
    return next((c for c in circles if c.name.casefold() == wanted), None)


def default_slack(circle_days: int) -> float:
    """Slack for a custom circle: 3 cadences when yearly (Levin's 3-year dormancy), else 2."""
    return 3.0 if circle_days >= 365 else 2.0


def default_tier(circle_days: int) -> int:
    """Tier for a custom circle, by the Dunbar layer its cadence is closest to from below."""
    if circle_days <= 7:
        return 0
    if circle_days <= 30:
        return 1
    if circle_days <= 90:
        return 2
    return 3


def cadence_for(
    circle_days: int,
    *,
    kin: bool,
    slack: float | None = None,
    tier: int | None = None,
    override_days: int | None = None,
) -> Cadence:
    """The contact's cadence: `h = T_c * 2` for kin, or the per-contact override, which wins
    over both (scoring.md 2.3). Slack and tier default from the cadence when not given.
    """
    if circle_days <= 0 or (override_days is not None and override_days <= 0):
        raise ValueError("cadence days must be positive")
    if override_days is not None:
        half_life = float(override_days)
    else:
        half_life = circle_days * (KIN_MULTIPLIER if kin else 1.0)
    return Cadence(
        half_life_days=half_life,
        slack=default_slack(circle_days) if slack is None else slack,
        tier=default_tier(circle_days) if tier is None else tier,
    )


def cadence_for_circles(
    circles: Sequence[Circle], *, kin: bool = False, override_days: int | None = None
) -> Cadence | None:
    """Cadence for a contact in several circles: the shortest cadence and the highest tier
    (lowest number), so the rule is deterministic and explainable (scoring.md 2.3).

    None when the contact is in no circle: it is untriaged and gets no reminders.
    """
    if not circles:
        return None
    shortest = min(c.cadence_days for c in circles)
    slack = max(c.slack for c in circles if c.cadence_days == shortest)
    return cadence_for(
        shortest,
        kin=kin or any(c.kin for c in circles),
        slack=slack,
        tier=min(c.tier for c in circles),
        override_days=override_days,
    )
