"""CalDAV sources feed the meetings pipeline; passwords stay sealed and out of every log."""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import pytest

from api import db
from api.db.tables import Interaction, SyncState
from tests.dav.servers import PASSWORD, USER, DavServer, fill
from tests.jobs import run_now


def _event(uid: str, start: str, summary: str, *attendees: str) -> str:
    people = [f"ATTENDEE;CN={a.split('@')[0]}:mailto:{a}" for a in attendees]
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Kith tests//EN",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{start}",
            f"DTEND:{start[:9]}235900Z",
            f"SUMMARY:{summary}",
            "ORGANIZER:mailto:alice@example.com",
            *people,
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


async def test_a_calendar_gives_meetings_and_planned_interactions_and_a_second_sync_adds_nothing(
    alice: Any, dav: DavServer, clock: Any
) -> None:
    r = await alice.post(
        "/api/contacts", json={"full_name": "Jane Doe", "emails": ["jane@example.com"]}
    )
    assert r.status_code == 201, r.text
    jane = r.json()["id"]
    url = dav.new_collection("caldav")
    me, her = "alice@example.com", "jane@example.com"
    dav.put(url, "a.ics", _event("past-1", "20261001T100000Z", "Coffee", me, her))
    dav.put(url, "b.ics", _event("past-2", "20261101T100000Z", "Lunch", me, her))
    dav.put(url, "c.ics", _event("soon-1", "20261210T100000Z", "Review", me, her))
    dav.put(url, "d.ics", _event("ancient", "20100101T100000Z", "Too old", me, her))
    r = await alice.post(
        "/api/sources",
        json={"kind": "caldav", "location": url, "username": USER, "password": PASSWORD},
    )
    assert r.status_code == 201, r.text
    source = r.json()
    first = await run_now(alice, source["id"])
    assert first["status"] == "ok", first
    assert first["counts"]["interactions"] == 3
    rows = await Interaction.select(Interaction.kind).where(Interaction.contact == jane).run()
    assert sorted(r["kind"] for r in rows) == ["meeting", "meeting", "planned"]

    dav.proxy.reset()
    second = await run_now(alice, source["id"])
    assert second["status"] == "ok" and second["counts"]["interactions"] == 0
    assert dav.proxy.counts["REPORT calendar-multiget"] == 0, dav.proxy.counts
    assert len(await Interaction.select().where(Interaction.contact == jane).run()) == 3

    clock.advance(days=30)  # the review has happened: read again, it becomes a meeting
    third = await run_now(alice, source["id"])
    assert third["status"] == "ok" and third["counts"]["interactions"] == 1, third
    rows = await Interaction.select(Interaction.kind).where(Interaction.contact == jane).run()
    assert sorted(r["kind"] for r in rows) == ["meeting", "meeting", "meeting", "planned"]
    fourth = await run_now(alice, source["id"])
    assert fourth["counts"]["interactions"] == 0


async def test_the_password_is_in_neither_the_database_file_nor_the_logs(
    alice: Any, dav: DavServer, clean_db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = dav.new_collection("carddav")
    fill(dav, url, 3)
    r = await alice.post(
        "/api/sources",
        json={"kind": "carddav", "location": url, "username": USER, "password": PASSWORD},
    )
    assert r.status_code == 201
    assert PASSWORD not in r.text
    run = await run_now(alice, r.json()["id"])
    assert run["status"] == "ok"
    listed = await alice.get("/api/sources")
    assert PASSWORD not in listed.text and listed.json()[0]["password_set"] is True
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    needles = [PASSWORD, PASSWORD.encode("utf-8").hex(), basic]
    logs = caplog.text
    assert all(n not in logs for n in needles)
    assert await SyncState.count().run() == 1
    if db.engine_name() == "sqlite":
        path = Path(clean_db.database_url.removeprefix("sqlite:///"))
        blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for needle in (PASSWORD.encode(), basic.encode(), PASSWORD.encode("utf-16-le")):
            assert needle not in blob


async def test_a_changed_secret_key_asks_to_re_enter_the_password(
    alice: Any, dav: DavServer
) -> None:
    from api import secrets_box

    url = dav.new_collection("carddav")
    r = await alice.post(
        "/api/sources",
        json={"kind": "carddav", "location": url, "username": USER, "password": PASSWORD},
    )
    source_id = r.json()["id"]
    old = secrets_box.current_key()
    secrets_box.configure("another-secret-key")
    try:
        report = await run_now(alice, source_id)
        assert report["status"] == "failed"
        assert "re-enter the password" in report["error"]
        r = await alice.patch(f"/api/sources/{source_id}", json={"password": PASSWORD})
        assert r.status_code == 200
        assert (await run_now(alice, source_id))["status"] == "ok"
    finally:
        secrets_box.configure(old)


def test_a_sealed_password_opens_only_under_its_key_and_its_source() -> None:
    from api import secrets_box

    sealed = secrets_box.seal("hunter2-long", 7, "key-one")
    assert "hunter2" not in sealed
    assert secrets_box.open_secret(sealed, 7, "key-one") == "hunter2-long"
    with pytest.raises(secrets_box.SecretLost):
        secrets_box.open_secret(sealed, 7, "key-two")
    with pytest.raises(secrets_box.SecretLost):
        secrets_box.open_secret(sealed, 8, "key-one")
