"""plan_import stays linear: key dictionaries, no pairwise comparison of records and contacts."""

from __future__ import annotations

import time

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


def plan_cpu_seconds(n: int) -> float:
    records, state = newer_export(n)
    started = time.process_time()
    plan = plan_import(records, state, source=SOURCE, full_export=True)
    elapsed = time.process_time() - started
    assert plan.counts == {
        "new": n // 10,
        "updated": n * 5 // 100,
        "unchanged": n * 90 // 100,
        "archived": n * 5 // 100,
        "skipped": 0,
    }
    return elapsed


def test_planning_five_thousand_records_against_five_thousand_contacts_is_fast() -> None:
    elapsed = plan_cpu_seconds(5_000)
    assert elapsed < 0.5, f"{elapsed:.2f}s of CPU"


@pytest.mark.slow
def test_planning_fifty_thousand_records_against_fifty_thousand_contacts_is_fast() -> None:
    elapsed = plan_cpu_seconds(50_000)
    assert elapsed < 4.0, f"{elapsed:.2f}s of CPU"
