"""Re-importing a file: unchanged cards skip matching and writing, and skipping never changes
what the import does (the same plan as one made with nothing remembered), on both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from api.db import write_transaction
from api.db.tables import Contact, ImportCard
from api.services import import_plan
from api.services.import_plan import plan_records
from api.services.imports import import_file, source_name
from api.services.users import find_user
from pipeline.formats.dispatch import parse_export
from pipeline.identity.match import ImportPlan
from tests.conftest import book_rows

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
NAME = "contacts.vcf"


def card(i: int, *, title: str = "Engineer", email: str | None = None) -> str:
    mail = email or f"person{i}@example.com"
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        f"UID:card-{i}\r\nFN:Person {i}\r\nN:{i};Person;;;\r\n"
        f"EMAIL:{mail}\r\nTITLE:{title}\r\nEND:VCARD\r\n"
    )


def vcf(cards: list[str]) -> bytes:
    return "".join(cards).encode()


class _Rollback(Exception):
    pass


def _outcome(plan: ImportPlan) -> tuple[Any, ...]:
    """What a plan does to the book (record indexes aside: a kept card has no match)."""
    return (
        plan.counts,
        sorted((sorted(c.fields.items(), key=str), c.keys) for c in plan.creates),
        sorted(
            (u.contact_id, sorted(u.changes.items(), key=str), u.add_keys) for u in plan.updates
        ),
        plan.archives,
        plan.suggestions,
        sorted(i.message for i in plan.issues),
    )


async def plans(raw: bytes) -> tuple[import_plan.Planned, ImportPlan]:
    """The plan as an import makes it now, and the plan made with every digest forgotten
    (both in a transaction that is rolled back)."""
    user = await find_user("alice@example.com")
    assert user is not None
    records = parse_export(raw).contacts
    source = source_name("vcard-3.0", NAME, None)
    got: list[Any] = []
    with pytest.raises(_Rollback):
        async with write_transaction(lock_user=user.id):
            got.append(await plan_records(user.id, records, source=source, full_export=True))
            await ImportCard.delete().where(ImportCard.user == user.id).run()
            got.append(await plan_records(user.id, records, source=source, full_export=True))
            raise _Rollback
    return got[0], got[1].plan


async def run(raw: bytes, **kwargs: Any) -> dict[str, int]:
    user = await find_user("alice@example.com")
    assert user is not None
    report = await import_file(user, raw, filename=NAME, now=NOW, **kwargs)
    assert report.status == ("failed" if "fail_after_rows" in kwargs else "ok"), report.error
    return report.counts


async def test_an_unchanged_re_import_plans_no_card_and_reports_every_one_unchanged(alice):
    raw = vcf([card(i) for i in range(12)])
    assert (await run(raw))["new"] == 12
    assert await ImportCard.count().run() == 12
    planned, fresh = await plans(raw)
    assert len(planned.kept.records) == 12
    assert _outcome(planned.plan) == _outcome(fresh)
    counts = await run(raw)
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (0, 0, 12)


async def test_a_changed_card_goes_through_matching_and_updates_its_contact(alice):
    await run(vcf([card(i) for i in range(6)]))
    raw = vcf([card(i, title="Director" if i == 3 else "Engineer") for i in range(6)])
    planned, fresh = await plans(raw)
    assert len(planned.kept.records) == 5
    assert _outcome(planned.plan) == _outcome(fresh)
    counts = await run(raw)
    assert (counts["updated"], counts["unchanged"]) == (1, 5)
    titles = {r["title"] for r in await Contact.select(Contact.title).run()}
    assert titles == {"Engineer", "Director"}
    # The new content is remembered: a third import of the same file skips all six.
    planned, _ = await plans(raw)
    assert len(planned.kept.records) == 6


async def test_a_contact_edited_in_kith_is_planned_again_and_the_edit_stays(alice):
    await run(vcf([card(i) for i in range(4)]))
    row = await Contact.select(Contact.id).where(Contact.full_name == "Person 2").first().run()
    r = await alice.patch(f"/api/contacts/{row['id']}", json={"title": "My own words"})
    assert r.status_code == 200, r.text
    raw = vcf([card(i, title="Director") for i in range(4)])
    planned, fresh = await plans(raw)
    assert len(planned.kept.records) == 0, "every card changed"
    assert _outcome(planned.plan) == _outcome(fresh)
    same = vcf([card(i) for i in range(4)])
    planned, fresh = await plans(same)
    assert row["id"] not in planned.kept.contacts, "the edited contact is not as the import left it"
    assert len(planned.kept.records) == 3
    assert _outcome(planned.plan) == _outcome(fresh)
    await run(raw)
    got = await Contact.select(Contact.title).where(Contact.id == row["id"]).first().run()
    assert got["title"] == "My own words"


async def test_a_deleted_contact_forgets_its_card_and_comes_back_new(alice):
    raw = vcf([card(i) for i in range(3)])
    await run(raw)
    row = await Contact.select(Contact.id).where(Contact.full_name == "Person 1").first().run()
    await Contact.delete().where(Contact.id == row["id"]).run()
    assert await ImportCard.count().run() == 2
    counts = await run(raw)
    assert (counts["new"], counts["unchanged"]) == (1, 2)


async def test_a_merge_and_its_undo_never_leave_a_card_hidden_behind_a_stale_digest(alice):
    # Two people by their own files; a third file's card has one's email and the other's uid
    # in this namespace, so the import suggests merging them.
    await run(vcf([card(1), card(2)]))
    both = vcf([card(1), card(2, email="person1@example.com"), card(3)])
    planned, fresh = await plans(both)
    assert _outcome(planned.plan) == _outcome(fresh)
    await run(both)
    suggestions = (await alice.get("/api/merge-suggestions")).json()
    assert suggestions, "the shared email suggests a merge"
    s = suggestions[0]
    keep = s["a"]["id"]
    r = await alice.post(f"/api/merge-suggestions/{s['id']}/merge", json={"keep_id": keep})
    assert r.status_code == 200, r.text
    for raw in (vcf([card(1), card(2), card(3)]), both):
        planned, fresh = await plans(raw)
        assert _outcome(planned.plan) == _outcome(fresh)
    r = await alice.post(f"/api/merges/{r.json()['undo_id']}/undo", json={"discard_edits": True})
    assert r.status_code == 200, r.text
    for raw in (vcf([card(1), card(2), card(3)]), both):
        planned, fresh = await plans(raw)
        assert _outcome(planned.plan) == _outcome(fresh)


async def test_the_lookup_path_and_the_whole_book_path_plan_the_same(alice, monkeypatch):
    await run(vcf([card(i) for i in range(8)]))
    changed = vcf([card(i, title="Director" if i < 3 else "Engineer") for i in range(8)])
    for limit in (2, 3):  # 3 changed cards: just over, then exactly at the lookup limit
        monkeypatch.setattr(import_plan, "LOOKUP_MAX", limit)
        planned, fresh = await plans(changed)
        assert len(planned.kept.records) == 5
        assert _outcome(planned.plan) == _outcome(fresh)


async def test_a_failed_re_import_leaves_contacts_keys_and_digests_as_they_were(alice):
    await run(vcf([card(i) for i in range(5)]))

    before = await book_rows()
    raw = vcf([card(i, title="Director") for i in range(5)] + [card(9)])
    await run(raw, fail_after_rows=1)
    assert await book_rows() == before


async def test_cards_remembered_a_chunk_at_a_time_are_all_remembered(alice, monkeypatch):
    monkeypatch.setattr(import_plan, "REMEMBER_CHUNK", 4)  # 10 cards: chunks of 4, 4 and 2
    raw = vcf([card(i) for i in range(10)])
    await run(raw)
    assert await ImportCard.count().run() == 10
    planned, fresh = await plans(raw)
    assert len(planned.kept.records) == 10
    assert _outcome(planned.plan) == _outcome(fresh)
