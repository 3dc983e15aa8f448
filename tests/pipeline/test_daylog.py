"""Scoring one more interaction from a contact's day log is scoring its whole history: the same
standing, floats and all, and the same log a full scoring leaves, for random histories, zones,
cadences and new interactions (dated now, earlier the same day, on an earlier day, ahead)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.strength.circles import cadence_for
from pipeline.strength.daylog import extended, log_of
from pipeline.strength.incremental import basis_of, state_after
from pipeline.strength.rows import standing_of_rows
from pipeline.strength.scoring import KINDS
from tests.pipeline.test_incremental_scoring import BASE, ZONES, instants

history = st.lists(
    st.tuples(
        instants,
        st.sampled_from(sorted(KINDS)) | st.sampled_from(["meeting", "message", "email"]),
        st.none() | st.integers(1, 30),
        st.sampled_from([None, "in", "out", "both"]),
        st.none() | st.integers(0, 500).map(lambda d: dt.date(2024, 1, 1) + dt.timedelta(d)),
    ),
    max_size=25,
)
# The new interaction: now, a few minutes or hours before or after, or on an earlier day.
offsets = st.sampled_from([0, -1, -30, -600, -3000, -20000, 5, 600]) | st.integers(-5000, 60)
new = st.tuples(
    offsets,
    st.sampled_from(sorted(KINDS)) | st.sampled_from(["coffee", "call", "message"]),
    st.none() | st.integers(1, 12),
    st.sampled_from([None, "in", "out", "both"]),
)


def _keyed(rows: list[tuple]) -> list[tuple]:  # type: ignore[type-arg]
    """As the store gives a history: every row keyed by its interaction id."""
    return [(*r[:4], f"id:{i}", r[4]) for i, r in enumerate(rows)]


@settings(max_examples=400, deadline=None, database=None)
@given(
    history,
    new,
    st.sampled_from(ZONES),
    st.sampled_from([7, 30, 90, 365]),
    st.booleans(),
    st.booleans(),
)
def test_one_more_interaction_scored_from_the_day_log_is_the_full_scoring(
    past, added, tz, days, kin, repeat
) -> None:
    cadence = cadence_for(days, kin=kin)
    basis = basis_of(cadence, tz)
    rows = _keyed(past)
    if repeat and rows:  # a second interaction at the very instant of an earlier one (a tie)
        added = (int((rows[-1][0] - BASE) / dt.timedelta(minutes=1)), *added[1:])
    minutes, kind, attendees, direction = added
    at = BASE + dt.timedelta(minutes=minutes)
    row = (at, kind, attendees, direction, f"id:{len(rows)}", None)
    before = standing_of_rows(rows, now=BASE, tz=tz, cadence=cadence)
    log = log_of(before, version="v1", basis=basis, tz=tz) if rows else None
    stored = state_after(
        before.standing,
        before.settles_at,
        [],
        basis=basis,
        version="v1",
        imported_only=before.imported_only,
    )
    got = extended(
        log, stored, row, version_before="v1", basis=basis, now=BASE, tz=tz, cadence=cadence
    )
    if got is None:
        return  # scored from the history instead
    full = standing_of_rows([*rows, row], now=BASE, tz=tz, cadence=cadence)
    assert got.standing == full.standing
    assert (got.imported_only, got.settles_at) == (full.imported_only, full.settles_at)
    # The log left behind is the one the full scoring leaves, so updates can follow updates.
    assert log_of(got, version="v2", basis=basis, tz=tz) == log_of(
        full, version="v2", basis=basis, tz=tz
    )


@settings(max_examples=100, deadline=None, database=None)
@given(history, st.sampled_from(ZONES))
def test_a_log_of_another_history_cadence_or_zone_is_not_used(past, tz) -> None:
    cadence = cadence_for(30, kin=False)
    basis = basis_of(cadence, tz)
    rows = _keyed(past)
    before = standing_of_rows(rows, now=BASE, tz=tz, cadence=cadence)
    log = log_of(before, version="v1", basis=basis, tz=tz)
    stored = state_after(
        before.standing, before.settles_at, [], basis=basis, version="v1", imported_only=False
    )
    row = (BASE, "coffee", None, None, "id:new", None)
    kw = {"now": BASE, "tz": tz, "cadence": cadence}
    assert extended(log, stored, row, version_before="v0", basis=basis, **kw) is None
    other = basis_of(cadence_for(90, kin=False), tz)
    assert extended(log, stored, row, version_before="v1", basis=other, **kw) is None
    assert extended(None, stored, row, version_before="v1", basis=basis, **kw) is None
