"""Hypothesis against the real store: what the in-memory properties prove is what the database does.

Every example starts from an empty address book of one account (contacts are deleted with
their keys and history by cascade). The records come from the strategies of the pure idempotence properties.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace

import anyio
import anyio.from_thread
from hypothesis import given, settings
from hypothesis import strategies as st

from api.db import write_transaction
from api.db.tables import Contact
from api.services.contacts import update_contact
from api.services.imports import import_records, load_existing, source_name
from api.services.users import UserInfo
from pipeline.identity.match import ExistingContact, apply_plan, plan_import
from pipeline.models import ParseResult
from tests.conftest import make_user
from tests.pipeline.test_match_idempotence import Import, imports

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
EDITED = "edited by hand"


async def stored(user: UserInfo) -> list[ExistingContact]:
    async with write_transaction():
        return sorted(await load_existing(user.id), key=lambda c: c.id)


async def store_import(user: UserInfo, step: Import) -> dict[str, int]:
    # The uploaded-file namespace needs a filename; one per strategy source keeps them apart.
    result = ParseResult(format=step.source.split(":")[0], contacts=list(step.records))
    async with write_transaction():
        return await import_records(
            user, result, filename=step.source, now=NOW, full_export=step.full
        )


def renumbered(state: list[ExistingContact]) -> list[ExistingContact]:
    """Ids by position: the database's ids are shared by every account of the session."""
    return [replace(c, id=i) for i, c in enumerate(sorted(state, key=lambda c: c.id))]


def without_ids(state: list[ExistingContact]) -> list[ExistingContact]:
    return [replace(c, id=0) for c in sorted(state, key=lambda c: c.id)]


def assert_keys_unique(state: list[ExistingContact]) -> None:
    keys = Counter(k for c in state for k in c.key_set())
    assert [k for k, n in keys.items() if n > 1] == []


async def example(
    user: UserInfo, history: list[Import], last: Import, edit_at: int | None, one_source: bool
) -> None:
    await Contact.delete().where(Contact.user == user.id).run()
    if one_source:  # newer exports of one source, one after another: what archives and updates
        history = [replace(step, source=last.source) for step in history]
    for step in history:
        before = await stored(user)
        # The store must leave what the in-memory applier of the same plan predicts.
        source = source_name(step.source.split(":")[0], step.source, None)
        plan = plan_import(step.records, before, source=source, full_export=step.full)
        predicted = apply_plan(before, plan, next_id=max((c.id for c in before), default=0) + 1)
        await store_import(user, step)
        after = await stored(user)
        assert without_ids(after) == without_ids(predicted)
        assert_keys_unique(after)
    edited_id = None
    if edit_at is not None and (state := await stored(user)):
        edited_id = state[edit_at % len(state)].id
        await update_contact(user.id, user.region, edited_id, {"title": EDITED}, NOW)

    await store_import(user, last)
    state = await stored(user)
    assert_keys_unique(state)
    again = await store_import(user, last)

    assert (again["new"], again["updated"], again["archived"]) == (0, 0, 0)
    assert renumbered(await stored(user)) == renumbered(state)
    if edited_id is not None:
        edited = next(c for c in state if c.id == edited_id)
        assert edited.fields["title"] == EDITED, "the user's edit survives every import"


async def test_importing_the_same_records_twice_into_the_store_changes_nothing(clean_db) -> None:
    user = await make_user("prop@example.com")

    @settings(max_examples=25, deadline=None)
    @given(
        history=st.lists(imports, max_size=3),
        last=imports,
        edit_at=st.none() | st.integers(0, 20),
        one_source=st.booleans(),
    )
    def prop(history: list[Import], last: Import, edit_at: int | None, one_source: bool) -> None:
        anyio.from_thread.run(example, user, history, last, edit_at, one_source)

    await anyio.to_thread.run_sync(prop)
