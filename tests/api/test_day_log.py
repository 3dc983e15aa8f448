"""Logging an interaction rescores its contact from the contact's day log, without reading its
history, and leaves exactly what rescoring it from the whole history leaves, on both engines;
a log that no longer describes the history (an import wrote interactions) is not used."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.db import query_count, write_transaction
from api.db.tables import Contact, DayLog, Reminder
from api.services.interactions import NewInteraction, lifecycle, record_interaction
from api.services.strength import refresh_contact, refresh_user
from api.services.users import find_user
from api.store import circles as circle_store
from api.store import contacts as contact_store
from api.store import interactions as interaction_store
from api.store.scoring import decode_log, encode_log
from pipeline.strength.daylog import DayLog as Log
from tests.conftest import make_user

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


async def _book(email: str, now: dt.datetime) -> tuple[Any, list[int]]:
    user = await make_user(email)
    async with write_transaction():
        circles = list((await circle_store.ids_by_name(user.id)).values())
        rows = [
            {
                "full_name": f"P {n}",
                "circle": circles[n % len(circles)] if n else None,
                "entered_on": (now - dt.timedelta(days=400)).date(),
                "source": "test",
                "created_at": now - dt.timedelta(days=400),
                "updated_at": now - dt.timedelta(days=400),
            }
            for n in range(4)
        ]
        ids = await contact_store.insert_many(user.id, rows)
        events = [
            {
                "contact": cid,
                "kind": kind,
                "at": now - dt.timedelta(days=ago, hours=ago % 5),
                "direction": "out" if kind == "message" else None,
                "source": "test",
                "created_at": now - dt.timedelta(days=ago),
            }
            for cid in ids
            for kind, ago in (("call", 200), ("message", 40), ("message", 39), ("coffee", 3))
        ]
        await interaction_store.insert_many(user.id, events)
    user = await find_user(email)
    await refresh_user(user, now)
    return user, ids


async def _scored(contact_id: int) -> tuple[Any, ...]:
    contact = await (
        Contact.select(
            Contact.score,
            Contact.health,
            Contact.due_on,
            Contact.last_at,
            Contact.last_kind,
            Contact.not_before,
            Contact.circle,
        )
        .where(Contact.id == contact_id)
        .first()
        .run()
    )
    reminder = await (
        Reminder.select(Reminder.day, Reminder.uid, Reminder.sequence, Reminder.state)
        .where(Reminder.contact == contact_id)
        .first()
        .run()
    )
    return contact, reminder


async def _rescored_from_history(user: Any, contact_id: int, now: dt.datetime) -> tuple[Any, ...]:
    await DayLog.delete().where(DayLog.contact == contact_id).run()
    await Contact.update({Contact.score_state: None}).where(Contact.id == contact_id).run()
    await refresh_contact(user, contact_id, now)
    return await _scored(contact_id)


async def test_an_interaction_scored_from_the_day_log_leaves_what_the_full_rescoring_does(
    clean_db,
):
    user, ids = await _book("log@example.com", NOW)
    steps = [
        (ids[1], "coffee", NOW, None),
        (ids[1], "message", NOW, "out"),  # the same instant: a tie on the last contact
        (ids[2], "call", NOW - dt.timedelta(hours=1), "in"),
        (ids[2], "email", NOW - dt.timedelta(minutes=5), "in"),  # ball in the user's court
        (ids[3], "event", NOW - dt.timedelta(hours=2), None),
        (ids[0], "meal", NOW, None),  # untriaged: logging puts it in Friends
    ]
    for n, (cid, kind, at, direction) in enumerate(steps):
        item = NewInteraction(kind=kind, at=at, direction=direction, key=f"log-{n}")
        with query_count.counting() as counter:
            await record_interaction(user, cid, item, NOW)
        history_reads = [s for s in counter.statements if "FROM interaction WHERE contact" in s]
        assert history_reads == [], counter.statements
        logged = await _scored(cid)
        assert await _rescored_from_history(user, cid, NOW) == logged
        await refresh_contact(user, cid, NOW)  # a full scoring leaves the log again
    await lifecycle(user, ids[1], "snooze", NOW, until=(NOW + dt.timedelta(days=9)).date())
    snoozed = await _scored(ids[1])
    assert snoozed[0]["not_before"] == (NOW + dt.timedelta(days=9)).date()
    assert await _rescored_from_history(user, ids[1], NOW) == snoozed


async def test_a_day_log_that_no_longer_describes_the_history_is_not_used(clean_db):
    user, ids = await _book("stale@example.com", NOW)
    async with write_transaction():  # as an import writes them: no rescoring
        row = {"contact": ids[2], "kind": "meeting", "source": "test", "created_at": NOW}
        await interaction_store.insert_many(user.id, [{**row, "at": NOW - dt.timedelta(days=1)}])
    with query_count.counting() as counter:
        await record_interaction(user, ids[2], NewInteraction(kind="call", at=NOW), NOW)
    assert any("FROM interaction WHERE contact" in s for s in counter.statements)
    logged = await _scored(ids[2])
    assert await _rescored_from_history(user, ids[2], NOW) == logged


def test_a_day_log_reads_back_as_it_was_written() -> None:
    at = dt.datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=dt.UTC)
    log = Log(
        version="3:17",
        basis="30.0/2.0/Europe/Berlin",
        credits=(1.5, 0.1 + 0.2, 3.0),
        anchors=(1_774_000_000_000_000, 1_774_600_000_000_000, 1_774_747_800_123_456),
        outbound=(False, True, True),
        last_day=at.date(),
        last_kinds={"message": (1.0, 3.0), "call": (1.5, 1.0)},
        top=(at, "message", None, "out", "id:17", None),
        credited=True,
        only_connected=False,
        not_before=dt.date(2026, 4, 2),
    )
    assert decode_log(encode_log(log)) == log
    assert decode_log(b"not a log") is None
    assert decode_log(None) is None
