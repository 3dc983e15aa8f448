"""A large vCard export is imported a batch of cards at a time in one transaction: the book it
leaves is the one a plan of the whole file leaves (api/services/import_stream.py says where it
may not be), re-imports skip unchanged cards, a failure anywhere changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.from_thread
from hypothesis import given, settings
from hypothesis import strategies as st

from api.db.tables import Contact, ContactKey, ImportCard
from api.services.imports import ImportReport, import_file
from api.services.users import UserInfo
from tests.conftest import book_rows, make_user

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=1)
NAME = "contacts.vcf"
WHOLE = 10_000  # more cards per batch than any file here: the whole-file import
_FIELDS = (
    "full_name",
    "given_name",
    "family_name",
    "nickname",
    "organization",
    "title",
    "birthday",
    "note",
    "emails",
    "phones",
    "groups",
    "urls",
    "archived",
    "source",
)


def card(
    uid: str | None = None,
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    title: str | None = None,
    note: str | None = None,
) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    if uid:
        lines.append(f"UID:{uid}")
    lines += [f"FN:{name}", f"N:{name.split()[-1]};{name.split()[0]};;;"]
    if email:
        lines.append(f"EMAIL;TYPE=INTERNET:{email}")
    if phone:
        lines.append(f"TEL;TYPE=CELL:{phone}")
    if title:
        lines.append(f"TITLE:{title}")
    if note:
        lines.append(f"NOTE:{note}")
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


def vcf(cards: list[str]) -> bytes:
    return "".join(cards).encode()


async def book(user: UserInfo) -> list[tuple[Any, ...]]:
    """The user's contacts with their keys, without ids (two accounts compare equal)."""
    rows = await Contact.select().where(Contact.user == user.id).run()
    keys = await ContactKey.select().where(ContactKey.user == user.id).run()
    by_contact: dict[int, list[tuple[str, str]]] = {}
    for key in keys:
        by_contact.setdefault(key["contact"], []).append((key["kind"], key["value"]))
    return sorted(
        (tuple(sorted(by_contact.get(r["id"], []))), tuple(str(r[f]) for f in _FIELDS))
        for r in rows
    )


async def run(user: UserInfo, raw: bytes, batch: int, **kwargs: Any) -> ImportReport:
    return await import_file(user, raw, filename=NAME, now=NOW, batch_cards=batch, **kwargs)


def _lines(report: ImportReport) -> list[tuple[str | None, int, str]]:
    return sorted((i.file, i.line, i.message) for i in report.issues)


async def users() -> tuple[UserInfo, UserInfo]:
    return await make_user("whole@example.com"), await make_user("batched@example.com")


async def test_cards_sharing_keys_across_batches_make_the_contacts_one_plan_makes(clean_db):
    whole, batched = await users()
    raw = vcf(
        [
            card("a", name="Ann Lee", email="ann@example.com", title="Engineer"),
            card(name="Bo Ray", email="bo@example.com"),
            card(name="Cy Dunn", phone="+14155550101"),
            card(name="Ann Lee", email="ann@example.com", title="Director", note="met at PyCon"),
            card(name="Bo Ray", email="bo@example.com", phone="+14155550102", title="Chef"),
            card("d", name="Di Fox", email="di@example.com"),
            card(name="Cy Dunn", phone="+14155550101", email="cy@example.com"),
            card("a", name="Ann Lee", email="ann.lee@example.com", title="CTO"),
        ]
    )
    one = await run(whole, raw, WHOLE)
    many = await run(batched, raw, 3)
    assert one.status == many.status == "ok", (one.error, many.error)
    assert await book(batched) == await book(whole)
    assert many.counts == one.counts
    assert many.format == one.format == "vcard-3.0"
    assert _lines(many) == _lines(one), "same-person issues name the first card of the file"


async def test_a_batched_re_import_of_a_changed_file_updates_as_one_plan_does(clean_db):
    whole, batched = await users()
    first = vcf([card(f"u{i}", name=f"Pat Doe{i}", email=f"p{i}@example.com") for i in range(9)])
    for user in (whole, batched):
        await run(user, first, WHOLE)
    changed = vcf(
        [card(f"u{i}", name=f"Pat Doe{i}", email=f"p{i}@example.com") for i in range(1, 9)]
        + [card("u2", name="Pat Doe2", email="p2@example.com", title="Boss")]
        + [card(name="Pat Doe5", email="p5@example.com", title="Second")]
        + [card("new", name="Nia New", phone="+14155550199")]
    )
    one = await run(whole, changed, WHOLE)
    many = await run(batched, changed, 4)
    assert many.status == "ok", many.error
    assert await book(batched) == await book(whole)
    assert many.counts == one.counts
    assert one.counts["archived"] == 1, "u0 is gone from the full export"
    assert _lines(many) == _lines(one)


async def test_re_importing_an_unchanged_batched_file_changes_nothing(clean_db):
    _, user = await users()
    raw = vcf([card(f"u{i}", name=f"Pat Doe{i}", email=f"p{i}@example.com") for i in range(20)])
    first = await run(user, raw, 6)
    assert first.counts["new"] == 20
    assert await ImportCard.count().where(ImportCard.user == user.id).run() == 20
    before = await book(user)
    again = await import_file(user, raw, filename=NAME, now=LATER, batch_cards=6)
    assert (again.counts["new"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 20)
    assert await book(user) == before
    assert await ImportCard.count().where(ImportCard.user == user.id).run() == 20
    updated = await Contact.select(Contact.updated_at).where(Contact.user == user.id).run()
    assert {r["updated_at"] for r in updated} == {NOW}, "no contact was written again"


async def test_a_batched_import_reports_one_running_count_of_cards_for_the_whole_file(clean_db):
    _, user = await users()
    raw = vcf([card(f"u{i}", name=f"Pat Doe{i}", email=f"p{i}@example.com") for i in range(20)])
    for now in (NOW, LATER):  # the first import reads every card, the second recognises them
        seen: list[tuple[str, int, int]] = []
        await import_file(
            user,
            raw,
            filename=NAME,
            now=now,
            batch_cards=6,
            progress=lambda *step: seen.append(step),  # noqa: B023 (called inside the loop)
        )
        assert seen[-1] == ("importing", 20, 20), "it ends with the whole file, as a bar does"
        running = [done for _, done, total in seen[:-1]]
        assert all(total == 0 for _, _, total in seen[:-1]), "no total before the end"
        assert running == sorted(running) and len(running) >= 3, "one count, never restarting"
        assert running[-1] == 20


async def test_a_failure_in_a_later_batch_leaves_the_database_as_it_was(clean_db):
    _, user = await users()
    await run(user, vcf([card(f"u{i}", name=f"Pat Doe{i}") for i in range(5)]), 3)

    before = await book_rows()
    raw = vcf([card(f"u{i}", name=f"Pat Doe{i}", title="Director") for i in range(5)])
    raw += vcf([card(f"v{i}", name=f"Vic Roe{i}") for i in range(7)])
    # The first new contact is in the second batch of three; the failure comes after it.
    report = await run(user, raw, 3, fail_after_rows=1)
    assert report.status == "failed"
    assert "nothing was changed" in (report.error or "")
    assert await book_rows() == before


async def test_a_failed_batched_import_reports_its_format_and_the_issues_found_before_it(clean_db):
    _, user = await users()
    bad = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad Date\r\nBDAY:2025-13-45\r\nEND:VCARD\r\n"
    raw = vcf([bad, *[card(f"v{i}", name=f"Vic Roe{i}") for i in range(7)]])
    report = await run(user, raw, 3, fail_after_rows=1)
    assert report.status == "failed"
    assert report.format == "vcard-3.0"
    assert [(i.line, i.file) for i in report.issues] == [(4, NAME)], "the birthday, first card"


async def test_a_batched_full_export_archives_what_it_no_longer_has(clean_db):
    whole, batched = await users()
    first = vcf([card(f"u{i}", name=f"Pat Doe{i}") for i in range(30)])
    later = vcf([card(f"u{i}", name=f"Pat Doe{i}") for i in range(3, 30)])
    for user in (whole, batched):
        await run(user, first, WHOLE)
    one = await run(whole, later, WHOLE)
    many = await run(batched, later, 4)
    assert many.counts["archived"] == one.counts["archived"] == 3
    assert await book(batched) == await book(whole)
    # A truncated export (most of the source missing) archives nothing, in batches too.
    few = vcf([card(f"u{i}", name=f"Pat Doe{i}") for i in range(27, 33)])
    one = await run(whole, few, WHOLE)
    many = await run(batched, few, 4)
    assert many.counts["archived"] == one.counts["archived"] == 0
    assert _lines(many) == _lines(one)
    assert any("looks truncated" in i.message for i in many.issues)


async def test_issues_of_a_batched_import_keep_the_file_and_its_line_numbers(clean_db):
    whole, batched = await users()
    raw = vcf([card(f"u{i}", name=f"Pat Doe{i}") for i in range(7)])
    raw += b"BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:nobody\r\nEND:VCARD\r\n"
    raw += vcf([card("x", name="Xi Yu", email="not an address")])
    raw += vcf([card("u1", name="Pat Doe1", title="CEO")])
    one = await run(whole, raw, WHOLE)
    many = await run(batched, raw, 3)
    assert _lines(many) == _lines(one)
    assert {i.file for i in many.issues} == {NAME}
    assert len(many.issues) >= 3
    assert many.counts == one.counts


people = st.integers(0, 5)
cards_of_people = st.lists(
    st.tuples(
        people,
        st.booleans(),  # with the person's uid
        st.sampled_from([None, "Engineer", "Director"]),
        st.sampled_from([None, "+14155550100", "+14155550111"]),
        st.sampled_from([None, "n1", "n2"]),
    ),
    min_size=1,
    max_size=12,
)


def _file(picks: list[tuple[int, bool, str | None, str | None, str | None]]) -> bytes:
    """Cards of a few people: a person's cards share its email (and, with a uid, its uid), so
    two people never share a key; a phone number is per person too."""
    out = []
    for person, with_uid, title, phone, note in picks:
        number = phone[:-1] + str(person) if phone else None
        out.append(
            card(
                f"p{person}" if with_uid else None,
                name=f"Pat Doe{person}",
                email=f"p{person}@example.com",
                phone=number,
                title=title,
                note=note,
            )
        )
    return vcf(out)


async def _example(
    whole: UserInfo,
    batched: UserInfo,
    files: list[bytes],
    batch: int,
    between: Callable[[int], Awaitable[None]] | None = None,
) -> None:
    """Each file imported whole by one account and in batches by the other: the same book,
    counts and issues after each; `between(n)` runs after the n-th file (0 first)."""
    for user in (whole, batched):
        await Contact.delete().where(Contact.user == user.id).run()
        await ImportCard.delete().where(ImportCard.user == user.id).run()
    for n, raw in enumerate(files):
        one = await run(whole, raw, WHOLE)
        many = await run(batched, raw, batch)
        assert (one.status, many.status) == ("ok", "ok"), (one.error, many.error)
        assert await book(batched) == await book(whole)
        assert many.counts == one.counts
        assert _lines(many) == _lines(one)
        if between is not None:
            await between(n)


async def test_batched_imports_leave_the_book_a_whole_file_plan_leaves(clean_db):
    whole, batched = await users()

    @settings(max_examples=20, deadline=None)
    @given(files=st.lists(cards_of_people, min_size=1, max_size=3), batch=st.integers(1, 5))
    def prop(files: list[list[Any]], batch: int) -> None:
        raws = [_file(picks) for picks in files]
        anyio.from_thread.run(_example, whole, batched, raws, batch)

    await anyio.to_thread.run_sync(prop)
