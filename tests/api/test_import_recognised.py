"""A large file's re-import does not read the cards it read before (api/services/import_known.py):
a card with the same bytes onto a contact nobody touched is known to be unchanged, and anything
else (an edit, a changed card sharing a key, another parser, a card with issues) is read and
planned as before, leaving the book a whole-file plan leaves."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.from_thread
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.db.tables import Contact, ImportCard
from api.services.contacts import update_contact
from api.services.users import UserInfo
from tests.api.test_import_batches import (
    NOW,
    WHOLE,
    _file,
    _lines,
    book,
    card,
    cards_of_people,
    run,
    users,
    vcf,
)
from tests.api.test_import_batches import (
    _example as same_books,
)
from tests.conftest import make_user


def people(n: int, **changed: str) -> bytes:
    """n cards, one person each; `changed` gives person "p<i>" another title."""
    return vcf(
        [
            card(f"p{i}", name=f"Pat Doe{i}", email=f"p{i}@example.com", title=changed.get(f"p{i}"))
            for i in range(n)
        ]
    )


async def test_re_importing_an_unchanged_large_file_reads_none_of_its_cards(clean_db, cards_read):
    user = await make_user("ann@example.com")
    raw = people(12)
    first = await run(user, raw, 5)
    assert first.counts["new"] == 12
    assert len(cards_read) == 12
    cards_read.clear()
    again = await run(user, raw, 5)
    assert cards_read == [], "every card was recognised by its bytes"
    assert (again.counts["new"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 12)
    assert again.format == first.format == "vcard-3.0"


async def test_only_the_changed_card_of_a_large_file_is_read_again(clean_db, cards_read):
    user = await make_user("ann@example.com")
    await run(user, people(12), 5)
    cards_read.clear()
    report = await run(user, people(12, p7="Director"), 5)
    assert len(cards_read) == 1
    assert (report.counts["updated"], report.counts["unchanged"]) == (1, 11)
    titles = {r["full_name"]: r["title"] for r in await Contact.select().run()}
    assert titles["Pat Doe7"] == "Director"


async def test_a_contact_edited_since_is_read_again_and_the_edit_stays(clean_db, cards_read):
    whole, batched = await users()
    raw = people(12)
    for user, size in ((whole, WHOLE), (batched, 5)):
        await run(user, raw, size)
        row = await (
            Contact.select(Contact.id)
            .where((Contact.user == user.id) & (Contact.full_name == "Pat Doe3"))
            .first()
            .run()
        )
        await update_contact(user.id, "US", row["id"], {"title": "My own words"}, NOW)
    cards_read.clear()
    one = await run(whole, raw, WHOLE)
    cards_read.clear()
    many = await run(batched, raw, 5)
    assert len(cards_read) == 1, "only the edited contact's card"
    assert many.counts == one.counts
    assert await book(batched) == await book(whole)
    titles = {r["full_name"]: r["title"] for r in await Contact.select().run()}
    assert titles["Pat Doe3"] == "My own words"


@pytest.mark.parametrize("same_batch", [True, False])
async def test_a_changed_card_sharing_a_key_with_an_unchanged_one_is_planned_with_it(
    clean_db, cards_read, same_batch
):
    whole, batched = await users()
    six = [card(f"p{i}", name=f"Pat Doe{i}", email=f"p{i}@example.com") for i in range(6)]
    # A new card with p2's email: one person with p2, right after it (in its batch of four)
    # or at the end (in the next batch).
    q = card("q", name="Pat Doe2", email="p2@example.com", title="Director")
    later = [*six[:3], q, *six[3:]] if same_batch else [*six, q]
    for raw in (vcf(six), vcf(later)):
        one = await run(whole, raw, WHOLE)
        cards_read.clear()
        many = await run(batched, raw, 4)
        assert many.counts == one.counts
        assert _lines(many) == _lines(one)
        assert await book(batched) == await book(whole)
    # q alone is read; in p2's batch, the batch is then read whole to plan p2 with q.
    assert len(cards_read) == (1 + 4 if same_batch else 1)


@pytest.mark.parametrize("batch", [3, 4])
async def test_a_known_card_twice_in_the_file_is_one_person_as_a_whole_file_plan_has_it(
    clean_db, batch
):
    whole, batched = await users()
    cards = [card(f"p{i}", name=f"Pat Doe{i}", email=f"p{i}@example.com") for i in range(6)]
    # p1 again right after itself (its batch) or three cards later (the next batch of three).
    for later in ([*cards[:2], cards[1], *cards[2:]], [*cards[:4], cards[1], *cards[4:]]):
        await same_books(whole, batched, [vcf(cards), vcf(later)], batch)


async def test_another_parser_reads_every_card_again_and_remembers_its_own_digests(
    clean_db, cards_read, monkeypatch
):
    user = await make_user("ann@example.com")
    raw = people(8)
    await run(user, raw, 3)
    before = {r["uid"]: r["body"] for r in await ImportCard.select().run()}
    assert all(before.values())
    monkeypatch.setattr(
        "api.services.imports.parser_identity", lambda region: b"another parser" + bytes(18)
    )
    cards_read.clear()
    report = await run(user, raw, 3)
    assert len(cards_read) == 8
    assert report.counts["unchanged"] == 8
    after = {r["uid"]: r["body"] for r in await ImportCard.select().run()}
    assert after.keys() == before.keys()
    assert all(after[uid] != before[uid] for uid in after)
    cards_read.clear()
    await run(user, raw, 3)
    assert cards_read == [], "the new digests are the ones remembered"


async def test_a_card_with_issues_is_read_every_time_and_its_issue_told_again(clean_db, cards_read):
    user = await make_user("ann@example.com")
    broken = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad Date\r\nEMAIL:bad@example.com\r\nBDAY:2025-13-45\r\nEND:VCARD\r\n"
    raw = people(6) + broken.encode()
    first = await run(user, raw, 4)
    assert first.issues, "the card's birthday is reported"
    cards_read.clear()
    again = await run(user, raw, 4)
    assert len(cards_read) == 1
    assert _lines(again) == _lines(first)


async def test_a_card_that_is_not_utf8_is_never_recognised(clean_db, cards_read):
    user = await make_user("ann@example.com")
    latin = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:José Núñez\r\nEMAIL:jose@example.com\r\nEND:VCARD\r\n"
    raw = people(6) + latin.encode("latin-1")
    await run(user, raw, 4)
    cards_read.clear()
    again = await run(user, raw, 4)
    assert len(cards_read) == 1, "its bytes' reading depends on the file's 8-bit guess"
    assert again.counts["unchanged"] == 7


edits = st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["title", "note"])), max_size=2)


async def _example(
    whole: UserInfo, batched: UserInfo, files: list[bytes], edit: list[Any], batch: int
) -> None:
    async def edits_after_the_first(n: int) -> None:  # the user edits between imports
        for person, field in edit if n == 0 else ():
            for user in (whole, batched):
                row = await (
                    Contact.select(Contact.id)
                    .where((Contact.user == user.id) & (Contact.full_name == f"Pat Doe{person}"))
                    .first()
                    .run()
                )
                if row is not None:
                    await update_contact(user.id, "US", row["id"], {field: "mine"}, NOW)

    await same_books(whole, batched, files, batch, edits_after_the_first)


async def test_re_imports_with_edits_between_leave_the_book_a_whole_file_plan_leaves(clean_db):
    whole, batched = await users()

    @settings(max_examples=20, deadline=None)
    @given(
        files=st.lists(cards_of_people, min_size=2, max_size=3),
        edit=edits,
        batch=st.integers(1, 5),
        repeat=st.booleans(),
    )
    def prop(files: list[list[Any]], edit: list[Any], batch: int, repeat: bool) -> None:
        raws = [_file(picks) for picks in files]
        if repeat:  # the same file again after the edits: where recognition does the most
            raws.insert(1, raws[0])
        anyio.from_thread.run(_example, whole, batched, raws, edit, batch)

    await anyio.to_thread.run_sync(prop)
