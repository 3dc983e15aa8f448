"""The nightly run rescores only what changed, and that gives exactly what rescoring everyone
from their whole history gives: for random books and random sequences of changes recorded
through the services (interactions, snoozes, circle moves, days passing), on both engines."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st

from api.db import write_transaction
from api.db.tables import Contact, Reminder
from api.services.interactions import NewInteraction, lifecycle, record_interaction
from api.services.strength import refresh_contact, refresh_user
from api.services.users import find_user
from api.store import circles as circle_store
from api.store import contacts as contact_store
from api.store import interactions as interaction_store
from tests.conftest import make_user

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
KINDS = ["call", "message", "coffee", "group-message", "event", "connected"]
_users = itertools.count()

history = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(1, 900), st.sampled_from([None, "in", "out"])),
    max_size=6,
)
change = st.one_of(
    st.tuples(st.just("log"), st.integers(0, 9), st.sampled_from(KINDS), st.integers(0, 40)),
    st.tuples(st.just("snooze"), st.integers(0, 9), st.just(""), st.integers(1, 20)),
    st.tuples(st.just("circle"), st.integers(0, 9), st.just(""), st.integers(0, 4)),
    st.tuples(st.just("days"), st.integers(0, 9), st.just(""), st.integers(1, 60)),
    st.tuples(st.just("import"), st.integers(0, 9), st.sampled_from(KINDS), st.integers(0, 90)),
)


async def _snapshot(user_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    contacts = (
        await Contact.select(
            Contact.id,
            Contact.score,
            Contact.health,
            Contact.due_on,
            Contact.last_at,
            Contact.last_kind,
            Contact.not_before,
        )
        .where(Contact.user == user_id)
        .order_by(Contact.id)
        .run()
    )
    reminders = (
        await Reminder.select(
            Reminder.contact, Reminder.day, Reminder.uid, Reminder.sequence, Reminder.state
        )
        .where(Reminder.user == user_id)
        .order_by(Reminder.contact)
        .run()
    )
    return contacts, reminders


async def example(histories: list[list[tuple[str, int, str | None]]], steps: list[Any]) -> None:
    user = await make_user(f"inc{next(_users)}@example.com")
    now = NOW
    async with write_transaction():
        circles = list((await circle_store.ids_by_name(user.id)).values())
        rows = [
            {
                "full_name": f"P {n}",
                "circle": circles[n % len(circles)] if n % 4 else None,
                "entered_on": (now - dt.timedelta(days=400)).date(),
                "source": "test",
                "created_at": now - dt.timedelta(days=400),
                "updated_at": now - dt.timedelta(days=400),
            }
            for n in range(len(histories))
        ]
        ids = await contact_store.insert_many(user.id, rows)
        events = [
            {
                "contact": cid,
                "kind": kind,
                "at": now - dt.timedelta(days=ago, hours=ago % 7),
                "direction": direction,
                "source": "test",
                "created_at": now - dt.timedelta(days=ago),
            }
            for cid, log in zip(ids, histories, strict=True)
            for kind, ago, direction in log
        ]
        await interaction_store.insert_many(user.id, events)  # as an import writes them
    user = await find_user(user.email)
    await refresh_user(user, now)
    for what, n, kind, amount in steps:
        cid = ids[n % len(ids)]
        if what == "log":
            at = now - dt.timedelta(days=amount)
            await record_interaction(user, cid, NewInteraction(kind=kind, at=at), now)
        elif what == "snooze":
            until = (now + dt.timedelta(days=amount)).date()
            await lifecycle(user, cid, "snooze", now, until=until)
        elif what == "circle":
            circle = circles[amount % len(circles)] if amount else None
            async with write_transaction():
                await contact_store.update(cid, {"circle": circle, "updated_at": now})
            await refresh_contact(user, cid, now)
        elif what == "import":  # written in bulk, no rescoring: the next run must notice it
            row = {"contact": cid, "kind": kind, "source": "test", "created_at": now}
            async with write_transaction():
                at = now - dt.timedelta(days=amount)
                await interaction_store.insert_many(user.id, [{**row, "at": at}])
        else:
            now += dt.timedelta(days=amount, hours=5)
            await refresh_user(user, now)
    await refresh_user(user, now)
    incremental = await _snapshot(user.id)
    # Forget every stored score state: the next run rescores everyone from their history.
    await Contact.update({Contact.score_state: None}).where(Contact.user == user.id).run()
    await refresh_user(user, now)
    assert await _snapshot(user.id) == incremental


async def test_the_nightly_run_of_only_the_changed_contacts_equals_a_full_rescoring(clean_db):
    @settings(max_examples=12, deadline=None)
    @given(st.lists(history, min_size=1, max_size=6), st.lists(change, max_size=8))
    def prop(histories: list[Any], steps: list[Any]) -> None:
        anyio.from_thread.run(example, histories, steps)

    await anyio.to_thread.run_sync(prop)
