"""CardDAV sources against real servers: incremental, never duplicating, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.api.test_imports import upload
from tests.dav.conftest import N
from tests.dav.servers import PASSWORD, USER, DavServer, card, fill
from tests.jobs import run_now


async def _add_source(alice: Any, url: str, password: str = PASSWORD) -> dict[str, Any]:
    r = await alice.post(
        "/api/sources",
        json={"kind": "carddav", "location": url, "username": USER, "password": password},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _run(alice: Any, source_id: int) -> dict[str, Any]:
    return await run_now(alice, source_id)


async def _contacts(alice: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        r = await alice.get("/api/contacts", params={"limit": 500, "offset": len(found)})
        assert r.status_code == 200, r.text
        page = r.json()
        found += page["items"]
        if len(found) >= page["total"] or not page["items"]:
            return found


def _fill(dav: DavServer, url: str, n: int) -> None:
    fill(dav, url, n)


async def test_a_book_of_300_cards_syncs_once_then_only_its_changes_by_sync_collection(
    alice: Any, dav: DavServer, book300: str
) -> None:
    url = book300
    source = await _add_source(alice, url)
    assert source["password_set"] is True and "password" not in source
    assert [c["href"] for c in source["collections"]] == [url]

    first = await _run(alice, source["id"])
    assert first["status"] == "ok", first
    assert first["counts"]["new"] == N
    assert len(await _contacts(alice)) == N

    dav.proxy.reset()
    second = await _run(alice, source["id"])
    assert second["status"] == "ok"
    assert second["counts"]["new"] == 0 and second["counts"]["updated"] == 0
    assert dav.proxy.counts["REPORT sync-collection"] == 1, dav.proxy.counts
    assert dav.proxy.counts["REPORT addressbook-multiget"] == 0
    assert dav.proxy.counts["PROPFIND propfind"] == 0, "no full listing"

    try:
        dav.put(url, "card-001.vcf", card(1, note="met at the conference"))
        dav.delete(url, "card-002.vcf")
        dav.put(url, "card-new.vcf", card(1001))
        third = await _run(alice, source["id"])
    finally:  # the book is shared by the runs on each database: put it back as it was
        dav.put(url, "card-001.vcf", card(1))
        dav.put(url, "card-002.vcf", card(2))
        dav.delete(url, "card-new.vcf")
    assert third["status"] == "ok", third
    counts = third["counts"]
    assert (counts["new"], counts["updated"], counts["archived"]) == (1, 1, 1), counts
    live = await _contacts(alice)
    assert len(live) == N
    names = {c["full_name"] for c in live}
    assert "Person Apple002" not in names and "Guest Google1001" in names


async def test_an_expired_sync_token_resyncs_in_full_without_a_duplicate(
    alice: Any, dav: DavServer
) -> None:
    from api.store.sync_state import load_state, save_state

    url = dav.new_collection("carddav")
    _fill(dav, url, 20)
    source = await _add_source(alice, url)
    assert (await _run(alice, source["id"]))["counts"]["new"] == 20
    state = await load_state(source["id"], url)
    assert state.sync_token
    state.sync_token = state.sync_token[:-3] + "999-not-a-token"
    await save_state(source["id"], url, state)
    dav.put(url, "card-new.vcf", card(500))

    dav.proxy.reset()
    report = await _run(alice, source["id"])
    assert report["status"] == "ok", report
    assert report["counts"]["new"] == 1 and report["counts"]["updated"] == 0
    assert dav.proxy.counts["REPORT sync-collection"] == 2  # refused, then from scratch
    assert len(await _contacts(alice)) == 21
    again = await _run(alice, source["id"])
    assert again["counts"]["new"] == 0


async def test_a_server_failing_in_the_middle_of_the_multiget_changes_nothing(
    alice: Any, dav: DavServer, monkeypatch: Any
) -> None:
    from api.services import dav_client
    from api.store.sync_state import load_state

    monkeypatch.setattr(dav_client, "MULTIGET_BATCH", 10)  # three batches from 25 cards
    url = dav.new_collection("carddav")
    _fill(dav, url, 25)
    source = await _add_source(alice, url)
    dav.proxy.reset()
    dav.proxy.fail_multiget = 2
    failed = await _run(alice, source["id"])
    assert failed["status"] == "failed"
    assert "the server failed while sending the changed cards" in failed["error"]
    assert "nothing was changed" in failed["error"]
    assert await _contacts(alice) == []
    assert (await load_state(source["id"], url)).sync_token is None
    listed = (await alice.get("/api/sources")).json()
    assert listed[0]["last_status"] == "failed" and listed[0]["last_error"] == failed["error"]

    dav.proxy.fail_multiget = None
    done = await _run(alice, source["id"])
    assert done["status"] == "ok" and done["counts"]["new"] == 25
    assert len(await _contacts(alice)) == 25


async def test_a_wrong_password_fails_the_run_with_a_plain_reason(
    alice: Any, dav: DavServer
) -> None:
    url = dav.new_collection("carddav")
    r = await alice.post(
        "/api/sources",
        json={"kind": "carddav", "location": url, "username": USER, "password": "wrong-one"},
    )
    assert r.status_code == 400
    assert "the server refused the username or password" in r.json()["error"]

    source = await _add_source(alice, url)
    r = await alice.patch(f"/api/sources/{source['id']}", json={"password": "wrong"})
    assert r.status_code == 200 and r.json()["password_set"] is True
    report = await _run(alice, source["id"])
    assert report["status"] == "failed"
    assert report["error"].startswith("the server refused the username or password")


async def test_discovery_from_the_server_root_finds_the_address_books_and_a_pick_limits_them(
    alice: Any, dav: DavServer
) -> None:
    one, two = dav.new_collection("carddav"), dav.new_collection("carddav")
    r = await alice.post(
        "/api/sources/test",
        json={
            "kind": "carddav",
            "location": dav.base + "/",
            "username": USER,
            "password": PASSWORD,
        },
    )
    assert r.status_code == 200, r.text
    found = [c["href"] for c in r.json()["collections"]]
    assert one in found and two in found, found
    r = await alice.post(
        "/api/sources",
        json={
            "kind": "carddav",
            "location": dav.base + "/",
            "username": USER,
            "password": PASSWORD,
            "collections": [two],
        },
    )
    assert r.status_code == 201, r.text
    assert [c["href"] for c in r.json()["collections"]] == [two]


async def test_a_server_without_sync_collection_is_synced_by_comparing_etags(
    alice: Any, dav: DavServer
) -> None:
    from api.db.tables import ImportSource

    url = dav.new_collection("carddav")
    _fill(dav, url, 6)
    source = await _add_source(alice, url)
    # As a server that does not advertise RFC 6578 would have been discovered.
    collections = json.dumps([{"href": url, "name": "Test", "sync": False}])
    await (
        ImportSource.update({ImportSource.collections: collections})
        .where(ImportSource.id == source["id"])
        .run()
    )
    first = await _run(alice, source["id"])
    assert first["counts"]["new"] == 6
    assert dav.proxy.counts["REPORT sync-collection"] == 0

    dav.proxy.reset()
    second = await _run(alice, source["id"])
    assert (second["counts"]["new"], second["counts"]["updated"]) == (0, 0)
    assert dav.proxy.counts["PROPFIND propfind"] == 1
    assert dav.proxy.counts["REPORT addressbook-multiget"] == 0

    dav.put(url, "card-003.vcf", card(3, note="changed"))
    dav.delete(url, "card-004.vcf")
    third = await _run(alice, source["id"])
    counts = third["counts"]
    assert (counts["new"], counts["updated"], counts["archived"]) == (0, 1, 1), counts


async def test_a_card_already_imported_from_a_vcard_export_stays_one_person(
    alice: Any, dav: DavServer, tmp_path: Path
) -> None:
    export = tmp_path / "contacts.vcf"
    export.write_text(card(7).replace("UID:google-00007", "UID:old-phone-export-7"))
    assert (await upload(alice, export))["counts"]["new"] == 1
    url = dav.new_collection("carddav")
    _fill(dav, url, 8)
    report = await _run(alice, (await _add_source(alice, url))["id"])
    assert report["counts"]["new"] == 7, report["counts"]
    people = [c for c in await _contacts(alice) if c["full_name"] == "Guest Google007"]
    assert len(people) == 1
