"""plan_import stays linear: key dictionaries, no pairwise comparison of records and contacts.

Measured as work, never time (the suite must pass on any machine): a profile hook counts every
function call and C call the planner makes, which is deterministic for a given input. Linear
planning makes a bounded number of calls per record, and four times the records cost about four
times the calls; a pairwise comparison would cost sixteen times.
"""

from __future__ import annotations

import sys

import pytest

from pipeline.identity.match import ExistingContact, apply_plan, plan_import
from pipeline.models import ContactRecord

SOURCE = "google-csv:me"


def person(i: int) -> ContactRecord:
    return ContactRecord(
        full_name=f"Person {i}",
        emails=[f"p{i}@example.org"],
        phones=[f"+4930{1_000_000 + i}"],
        organization="Example GmbH",
        groups=["Friends"],
        line=i + 2,
    )


def newer_export(n: int) -> tuple[list[ContactRecord], list[ExistingContact]]:
    """n contacts imported before; the newer file drops 5%, changes 5%, and adds 10% new people."""
    old = [person(i) for i in range(n)]
    state = apply_plan([], plan_import(old, [], source=SOURCE, full_export=True), next_id=1)
    kept, changed = old[: n * 90 // 100], old[n * 90 // 100 : n * 95 // 100]
    for record in changed:
        record.title = "Director"
    return kept + changed + [person(n + i) for i in range(n // 10)], state


def plan_calls(n: int) -> int:
    """Calls made by plan_import for a newer export of n contacts (counts checked too)."""
    records, state = newer_export(n)
    calls = 0

    def profile(_frame: object, event: str, _arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        plan = plan_import(records, state, source=SOURCE, full_export=True)
    finally:
        sys.setprofile(None)
    assert plan.counts == {
        "new": n // 10,
        "updated": n * 5 // 100,
        "unchanged": n * 90 // 100,
        "archived": n * 5 // 100,
        "skipped": 0,
    }
    return calls


# Measured at ~220 calls per record; the bound leaves room for new per-field rules, not for a
# loop over the existing contacts (5,000 of them per record here).
CALLS_PER_RECORD = 500


def test_planning_five_thousand_records_makes_a_bounded_number_of_calls_per_record() -> None:
    calls = plan_calls(5_000)
    assert calls <= CALLS_PER_RECORD * 5_000, f"{calls / 5_000:.0f} calls per record"


def test_four_times_the_records_cost_about_four_times_the_work() -> None:
    small, large = plan_calls(1_000), plan_calls(4_000)
    assert large <= 5 * small, f"x{large / small:.1f} the calls for x4 the records"


@pytest.mark.slow
def test_planning_fifty_thousand_records_makes_a_bounded_number_of_calls_per_record() -> None:
    calls = plan_calls(50_000)
    assert calls <= CALLS_PER_RECORD * 50_000, f"{calls / 50_000:.0f} calls per record"
