"""The reconnect scheduler: due dates in, at most one capped, spread-out day per contact out.

A deterministic version of Anki's load balancer (scoring.md 3.3): each due contact goes to the
least-loaded day of a fuzz window around its ideal day, under hard per-day and per-week caps with
weekday factors ("easy days"), inner circles first, a 90-day horizon and a short freeze window
so calendars that poll the feed do not see reminders jump about.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """Caps and spread. `weekday_factors` run Monday..Sunday; a day's cap is
    `floor(per_day * factor)`. `new_per_day` caps cold-start reminders (Anki's new-cards limit).
    """

    per_day: int = 3
    per_week: int = 12
    soft_target: int = 2
    new_per_day: int = 1
    weekday_factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0)
    horizon_days: int = 90
    freeze_days: int = 2

    def __post_init__(self) -> None:
        counts = (
            self.per_day,
            self.per_week,
            self.new_per_day,
            self.horizon_days,
            self.freeze_days,
        )
        if min(counts) < 0 or self.soft_target < 1:
            raise ValueError("caps, horizon and freeze must be >= 0 and the soft target >= 1")
        if len(self.weekday_factors) != 7 or not all(0 <= f <= 1 for f in self.weekday_factors):
            raise ValueError("weekday_factors needs 7 factors in [0, 1], Monday first")

    def day_cap(self, day: dt.date) -> int:
        return math.floor(self.per_day * self.weekday_factors[day.weekday()])


@dataclass(frozen=True, slots=True)
class ScheduleItem:
    """One contact as the scheduler sees it.

    `due_on` None means unscheduled (no history and not in a circle). `cadence_days` is the
    effective cadence (the half-life). `cold_start` marks a contact that entered a circle without
    history; its `due_on` should come from `cold_start_due_on`. `changed_since_publish` is true
    when the contact had an interaction, snooze, skip or circle change since the last published
    plan, which releases it from the freeze window.
    """

    contact_id: int
    due_on: dt.date | None
    tier: int
    cadence_days: float
    not_before: dt.date | None = None
    cold_start: bool = False
    changed_since_publish: bool = False
    ball_in_court: bool = False

    def __post_init__(self) -> None:
        if not self.cadence_days > 0 or self.tier < 0:
            raise ValueError(f"contact {self.contact_id}: cadence must be > 0 and tier >= 0")


@dataclass(frozen=True, slots=True)
class Window:
    """Where a reminder may go: `lo <= ideal <= hi`, clipped to today and the horizon."""

    ideal: dt.date
    lo: dt.date
    hi: dt.date


@dataclass(frozen=True, slots=True)
class Plan:
    """Every input contact is in exactly one of placements, backlog, deferred, unscheduled.

    `backlog` holds contacts that are due inside the horizon but did not fit under the caps, in
    priority order: a visible "raise the cap or trim circles", not an error. `deferred` are due
    after the horizon and will be placed by a later run. `frozen` lists placements kept from
    `published`. `loads` counts reminders per day (days with none are absent).
    """

    placements: Mapping[int, dt.date]
    backlog: tuple[int, ...]
    deferred: tuple[int, ...]
    unscheduled: tuple[int, ...]
    frozen: tuple[int, ...]
    loads: Mapping[dt.date, int]


def stable_hash(contact_id: int) -> int:
    """H32: the first 32 bits of SHA-256 of the id, the same on every machine and run."""
    return int.from_bytes(hashlib.sha256(str(contact_id).encode()).digest()[:4], "big")


def cold_start_due_on(contact_id: int, assigned_on: dt.date, cadence_days: float) -> dt.date:
    """`a + (H32(id) mod T_c)` days: contacts put into a circle without history are spread
    evenly over one cadence instead of all falling due on the day of a bulk import (2.7).
    """
    return assigned_on + dt.timedelta(days=stable_hash(contact_id) % max(1, int(cadence_days)))


def fuzz_days(cadence_days: float) -> int:
    """Anki's fuzz half-width `delta(I)` (fuzz.rs), rounded half up: 7 -> 2, 30 -> 3, 90 -> 6,
    365 -> 20 days. Cadences under 2.5 days are not fuzzed.
    """
    i = cadence_days
    if i < 2.5:
        return 0
    delta = 1 + 0.15 * (min(i, 7) - 2.5) + 0.10 * max(0.0, min(i, 20) - 7) + 0.05 * max(0.0, i - 20)
    return math.floor(delta + 0.5)


def window(item: ScheduleItem, *, today: dt.date, config: SchedulerConfig) -> Window | None:
    """`ideal = max(today, due_on, not_before)` and the fuzz window around it (scoring.md 3.2);
    None when the contact is unscheduled. `hi < ideal` exactly when the ideal day lies past
    the horizon (the contact is deferred).
    """
    if item.due_on is None:
        return None
    ideal = max(today, item.due_on, item.not_before or today)
    delta = dt.timedelta(days=fuzz_days(item.cadence_days))
    lo = max(today, item.not_before or today, ideal - delta)
    hi = min(today + dt.timedelta(days=config.horizon_days), ideal + delta)
    return Window(ideal, lo, hi)


def loads_from(item: ScheduleItem, today: dt.date, config: SchedulerConfig) -> dt.date | None:
    """BookPlan.loads_from (pipeline.strength.plan): the first day whose load matters to a
    contact placed alone around everyone else's reminders."""
    win = window(item, today=today, config=config)
    if win is None or win.ideal > today + dt.timedelta(days=config.horizon_days):
        return None  # unscheduled or deferred: held against no load
    # Its days are [lo, hi] then the spill to the horizon; a week's cap counts from Monday.
    return max(today, win.lo - dt.timedelta(days=win.lo.weekday()))


def is_over_capacity(cadences_days: Iterable[float], config: SchedulerConfig) -> bool:
    """Warn at save time when the expected weekly load `7 * sum(1 / T)` (nobody contacted
    spontaneously) exceeds 80 % of the weekly cap (scoring.md 3.4).
    """
    return 7 * math.fsum(1 / t for t in cadences_days) > 0.8 * config.per_week


@functools.lru_cache(maxsize=64)
def _weekday_caps(config: SchedulerConfig) -> tuple[int, ...]:
    """`day_cap` of each weekday, Monday first (a config is frozen: computed once per config)."""
    return tuple(config.day_cap(dt.date(2024, 1, 1) + i * _DAY) for i in range(7))  # a Monday


class _Loads:
    """Reminders per day, per ISO week and cold starts per day. Plain dicts read with `get`:
    re-placing one contact fills ~90 days of everyone else's reminders before choosing."""

    def __init__(self, config: SchedulerConfig) -> None:
        self.config = config
        self.day: dict[dt.date, int] = {}
        self.week: dict[int, int] = {}
        self.new: dict[dt.date, int] = {}
        self._caps = _weekday_caps(config)

    def fits(self, day: dt.date, cold_start: bool) -> bool:
        cfg = self.config
        if cold_start and self.new.get(day, 0) >= cfg.new_per_day:
            return False
        weekday = day.weekday()
        return (
            self.day.get(day, 0) < self._caps[weekday]
            # The ISO week, as the ordinal of its Monday.
            and self.week.get(day.toordinal() - weekday, 0) < cfg.per_week
        )

    def add(self, day: dt.date, cold_start: bool) -> None:
        week = day.toordinal() - day.weekday()
        self.day[day] = self.day.get(day, 0) + 1
        self.week[week] = self.week.get(week, 0) + 1
        if cold_start:
            self.new[day] = self.new.get(day, 0) + 1

    def fitting(self, first: dt.date, last: dt.date, cold_start: bool) -> list[dt.date]:
        """The days of [first, last] that `fits`, in day order: the same test in one loop, as
        a window is up to ~40 days and a spill up to the horizon (a call per day was most of
        placing one contact)."""
        caps, per_week, new_cap = self._caps, self.config.per_week, self.config.new_per_day
        on_day, in_week, new = self.day.get, self.week.get, self.new.get
        out: list[dt.date] = []
        day, ordinal, weekday = first, first.toordinal(), first.weekday()
        while day <= last:
            if (
                not (cold_start and new(day, 0) >= new_cap)
                and on_day(day, 0) < caps[weekday]
                and in_week(ordinal - weekday, 0) < per_week
            ):
                out.append(day)
            day += _DAY
            ordinal += 1
            weekday = 0 if weekday == 6 else weekday + 1
        return out

    def fill(self, counts: Mapping[dt.date, int], first: dt.date, last: dt.date) -> None:
        """Up to `counts[day]` warm reminders on each day of [first, last], in day order, as
        many as the caps allow: what that many rounds of `fits` then `add` would place, in one
        loop over the days (up to the horizon's 90)."""
        caps, per_week = self._caps, self.config.per_week
        on_day, on_week = self.day, self.week
        days = sorted(counts)  # the store's counts come in day order: a pass, not a sort
        for day in days[bisect.bisect_left(days, first) : bisect.bisect_right(days, last)]:
            ordinal = day.toordinal()
            weekday = (ordinal + 6) % 7  # date.weekday(): ordinal 1 (0001-01-01) is a Monday
            week = ordinal - weekday
            held, in_week = on_day.get(day, 0), on_week.get(week, 0)
            room = counts[day]
            if caps[weekday] - held < room:
                room = caps[weekday] - held
            if per_week - in_week < room:
                room = per_week - in_week
            if room > 0:
                on_day[day] = held + room
                on_week[week] = in_week + room


def _priority(
    item: ScheduleItem, today: dt.date
) -> tuple[bool, int, dt.date, bool, float, int, int]:
    # Cold start after every warm tier, then tier, ideal day, ball in the user's court,
    # most overdue (in cadences), H32 and the id: a total order, so input order cannot matter.
    ideal = max(today, item.due_on or dt.date.max, item.not_before or today)
    overdue = 0.0 if item.due_on is None else (today - item.due_on).days / item.cadence_days
    return (
        item.cold_start,
        item.tier,
        ideal,
        not item.ball_in_court,
        -overdue,
        stable_hash(item.contact_id),
        item.contact_id,
    )


def _is_frozen(item: ScheduleItem, day: dt.date, today: dt.date, config: SchedulerConfig) -> bool:
    return (
        not item.changed_since_publish
        and item.due_on is not None
        and today <= day < today + dt.timedelta(days=config.freeze_days)
        and day <= today + dt.timedelta(days=config.horizon_days)
        and (item.not_before is None or day >= item.not_before)
    )


def _pick(win: Window, cold_start: bool, loads: _Loads, last: dt.date) -> dt.date | None:
    candidates = loads.fitting(win.lo, win.hi, cold_start)
    if not candidates:  # spill forward, never earlier than the window
        candidates = loads.fitting(win.hi + _DAY, last, cold_start)
    if not candidates:
        return None
    s = loads.config.soft_target
    # Stay at or under the soft target where possible, then closest to the ideal day, then earliest.
    load = loads.day.get
    return min(candidates, key=lambda d: (load(d, 0) // s, abs((d - win.ideal).days), d))


def schedule(
    items: Sequence[ScheduleItem],
    *,
    today: dt.date,
    config: SchedulerConfig | None = None,
    published: Mapping[int, dt.date] | None = None,
    taken: Mapping[dt.date, int] | None = None,
) -> Plan:
    """Place each contact on one day in `[today, today + horizon]` (scoring.md 3.3).

    First keep published placements inside the freeze window `[today, today + freeze_days)` for
    contacts unchanged since publication (caps permitting); then, in priority order, put each
    contact on the least-loaded allowed day of its window, spilling later when the window is full.
    `taken` counts reminders of contacts not in `items` that stay where they are (a single
    contact re-placed after an interaction): they fill each day first, in day order, as far as
    the caps allow. Raises ValueError when a contact id appears twice.
    """
    cfg = config or SchedulerConfig()
    kept = published or {}
    if len({i.contact_id for i in items}) != len(items):
        raise ValueError("each contact may appear only once")
    last = today + dt.timedelta(days=cfg.horizon_days)
    # One contact (re-placed after an interaction) needs no order, nor its hash for one.
    ordered = list(items) if len(items) < 2 else sorted(items, key=lambda i: _priority(i, today))
    loads = _Loads(cfg)
    loads.fill(taken or {}, today, last)
    placed: dict[int, dt.date] = {}
    frozen: list[int] = []
    for item in ordered:
        day = kept.get(item.contact_id)
        if (
            day is not None
            and _is_frozen(item, day, today, cfg)
            and loads.fits(day, item.cold_start)
        ):
            loads.add(day, item.cold_start)
            placed[item.contact_id] = day
            frozen.append(item.contact_id)
    backlog: list[int] = []
    deferred: list[int] = []
    unscheduled: list[int] = []
    for item in ordered:
        if item.contact_id in placed:
            continue
        win = window(item, today=today, config=cfg)
        if win is None:
            unscheduled.append(item.contact_id)
        elif win.ideal > last:
            deferred.append(item.contact_id)
        elif (day := _pick(win, item.cold_start, loads, last)) is None:
            backlog.append(item.contact_id)
        else:
            loads.add(day, item.cold_start)
            placed[item.contact_id] = day
    return Plan(
        placements=dict(sorted(placed.items())),
        backlog=tuple(backlog),
        deferred=tuple(sorted(deferred)),
        unscheduled=tuple(sorted(unscheduled)),
        frozen=tuple(sorted(frozen)),
        loads={d: n for d, n in sorted(loads.day.items()) if n},
    )
