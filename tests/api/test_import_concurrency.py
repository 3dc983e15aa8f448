"""One import per user at a time: the per-user lock, plans that went stale, and an import whose
rescoring fails after its commit (issue 16). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from api.db import write_transaction
from api.db.tables import Contact, ContactKey, ImportRun
from api.services import contacts
from api.services.imports import (
    PLAN_ATTEMPTS,
    import_file,
    load_existing,
    source_name,
    until_fresh,
)
from api.store.imports import StalePlan, execute_writes
from pipeline.formats.dispatch import parse_export
from pipeline.identity.match import plan_import
from pipeline.identity.writes import writes_of
from tests.conftest import make_user

DATA = Path(__file__).resolve().parents[1] / "data"
JANE_CSV = DATA / "import" / "google-2024-jane-in-both-exports.csv"
LINKEDIN = DATA / "csv" / "linkedin-connections-2024-notes-preamble.csv"
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def many_people(n: int) -> bytes:
    head = "First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value"
    rows = [f"P{i},Example,* Home,p{i}@example.com,Mobile,+1 415 555 {i:04d}" for i in range(n)]
    return ("\n".join([head, *rows]) + "\n").encode()


async def test_two_imports_of_one_file_at_once_in_one_process_add_its_people_once(clean_db):
    user = await make_user("alice@example.com")
    raw = many_people(120)
    reports = await asyncio.gather(
        *(import_file(user, raw, filename="people.csv", now=NOW) for _ in range(2))
    )
    assert sorted((r.counts["new"], r.counts["unchanged"]) for r in reports) == [
        (0, 120),
        (120, 0),
    ]
    assert await Contact.count().where(Contact.user == user.id).run() == 120
    assert await ContactKey.count().where(ContactKey.kind == "email").run() == 120


async def test_a_plan_whose_key_was_taken_meanwhile_is_stale_and_writes_nothing(clean_db):
    user = await make_user("alice@example.com")
    result = parse_export(JANE_CSV.read_bytes(), region="US")
    async with write_transaction(lock_user=user.id):
        existing = await load_existing(user.id)
    plan = plan_import(
        result.contacts, existing, source=source_name("google-csv", "a.csv", None), full_export=True
    )
    # Someone else takes Jane's email after the plan was made from the empty book.
    await contacts.create_contact(
        user.id, "US", {"full_name": "Other", "emails": ["jane.doe@example.com"]}, NOW
    )
    with pytest.raises(StalePlan, match="contact key was taken"):
        async with write_transaction(lock_user=user.id):
            await execute_writes(
                user.id,
                writes_of(plan),
                photos=[None] * len(plan.creates),
                connections=[],
                now=NOW,
            )
    names = await Contact.select(Contact.full_name).where(Contact.user == user.id).run()
    assert [r["full_name"] for r in names] == ["Other"], "the stale import was rolled back whole"


async def test_an_import_planned_again_after_a_stale_try_succeeds():
    tries = []

    async def attempt() -> dict[str, int]:
        tries.append(1)
        if len(tries) < PLAN_ATTEMPTS:
            raise StalePlan("taken")
        return {"new": 1}

    assert await until_fresh(attempt) == {"new": 1}
    assert len(tries) == PLAN_ATTEMPTS


async def test_a_plan_stale_on_every_try_gives_up_with_a_clear_error():
    tries = []

    async def attempt() -> dict[str, int]:
        tries.append(1)
        raise StalePlan("taken")

    with pytest.raises(StalePlan, match="kept changing while the import was planned"):
        await until_fresh(attempt)
    assert len(tries) == PLAN_ATTEMPTS


async def test_an_import_whose_rescoring_fails_after_its_commit_reports_failed_with_its_counts(
    alice,
):
    bad = (await alice.post("/api/contacts", json={"full_name": "Broken"})).json()
    r = await alice.post(f"/api/contacts/{bad['id']}/interactions", json={"kind": "coffee"})
    assert r.status_code == 201, r.text
    # Invalid data that only a direct write can leave (the edge refuses it): rescoring raises.
    await Contact.update({Contact.cadence_override_days: 0}).where(Contact.id == bad["id"]).run()
    files = {"file": (LINKEDIN.name, LINKEDIN.read_bytes(), "text/csv")}
    r = await alice.post("/api/imports", files=files)
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["status"] == "failed"
    assert "imported, but rescoring afterwards failed" in report["error"]
    assert report["counts"]["new"] > 0 and report["counts"]["interactions"] > 0
    assert report["finished_at"] is not None
    runs = await ImportRun.select(ImportRun.status).run()
    assert [row["status"] for row in runs] == ["failed"], "no run is left running"
    listed = (await alice.get("/api/contacts", params={"limit": 500})).json()
    assert listed["total"] == report["counts"]["new"] + 1, "the import itself is committed"
