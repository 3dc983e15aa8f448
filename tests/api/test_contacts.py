"""The contacts API: create, list, search, edit, archive; every query scoped to its user."""

from __future__ import annotations

import asyncio

from tests.conftest import new_client, sign_in


async def test_created_contact_is_listed_found_by_search_and_archived(alice):
    r = await alice.post(
        "/api/contacts",
        json={"full_name": "Ann Lee", "emails": ["Ann@Example.ORG"], "organization": "Acme"},
    )
    assert r.status_code == 201, r.text
    ann = r.json()
    assert ann["emails"] == ["ann@example.org"]
    await alice.post("/api/contacts", json={"full_name": "Bo Diaz", "phones": ["(415) 555-0101"]})
    page = (await alice.get("/api/contacts")).json()
    assert page["total"] == 2
    assert [c["full_name"] for c in page["items"]] == ["Ann Lee", "Bo Diaz"]
    for q in ("ann", "example.org", "acme"):
        found = (await alice.get("/api/contacts", params={"q": q})).json()["items"]
        assert [c["id"] for c in found] == [ann["id"]], q
    r = await alice.post(f"/api/contacts/{ann['id']}/archive")
    assert r.status_code == 200 and r.json()["archived"] is True
    assert (await alice.get("/api/contacts")).json()["total"] == 1
    archived = (await alice.get("/api/contacts", params={"archived": True})).json()
    assert [c["id"] for c in archived["items"]] == [ann["id"]]
    r = await alice.post(f"/api/contacts/{ann['id']}/unarchive")
    assert r.json()["archived"] is False


async def test_phone_numbers_are_stored_in_e164_with_the_users_region(alice):
    r = await alice.post("/api/contacts", json={"full_name": "Bo", "phones": ["(415) 555-0101"]})
    assert r.json()["phones"] == ["+14155550101"]


async def test_edits_are_remembered_as_user_edited_fields(alice):
    cid = (await alice.post("/api/contacts", json={"full_name": "Ann"})).json()["id"]
    r = await alice.patch(f"/api/contacts/{cid}", json={"title": "CTO", "note": "met at PyCon"})
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "CTO" and body["note"] == "met at PyCon"
    assert {"title", "note"} <= set(body["edited_fields"])


async def test_invalid_input_gets_a_clear_error(alice):
    r = await alice.post("/api/contacts", json={"full_name": "  "})
    assert r.status_code == 400 and r.json()["error"] == "a contact needs a name"
    r = await alice.post("/api/contacts", json={"full_name": "X", "emails": ["not-an-email"]})
    assert r.status_code == 400 and "not an email address" in r.json()["error"]
    r = await alice.post("/api/contacts", json={"full_name": "X", "birthday": "31/12/1990"})
    assert r.status_code == 400
    r = await alice.post("/api/contacts", json={"nope": 1})
    assert r.status_code == 400 and r.json()["error"].startswith("invalid request")
    assert (await alice.get("/api/contacts/999999")).status_code == 404


async def test_contacts_are_paginated_and_filtered_by_circle(alice):
    circles = {c["name"]: c["id"] for c in (await alice.get("/api/circles")).json()}
    for i in range(7):
        body = {"full_name": f"Person {i}"}
        if i % 2 == 0:
            body["circle_id"] = circles["Close"]
        await alice.post("/api/contacts", json=body)
    page = (await alice.get("/api/contacts", params={"limit": 3, "offset": 3})).json()
    assert page["total"] == 7 and len(page["items"]) == 3
    assert page["items"][0]["full_name"] == "Person 3"
    close = (await alice.get("/api/contacts", params={"circle_id": circles["Close"]})).json()
    assert close["total"] == 4
    untriaged = (await alice.get("/api/contacts", params={"untriaged": True})).json()
    assert untriaged["total"] == 3
    # The last page, and one past the end (no row there to carry the count), still count all.
    last = (await alice.get("/api/contacts", params={"limit": 3, "offset": 6})).json()
    assert last["total"] == 7 and [c["full_name"] for c in last["items"]] == ["Person 6"]
    past = (await alice.get("/api/contacts", params={"limit": 3, "offset": 9})).json()
    assert past["total"] == 7 and past["items"] == []
    found = (await alice.get("/api/contacts", params={"q": "person", "offset": 5})).json()
    assert found["total"] == 7 and len(found["items"]) == 2


async def test_user_b_cannot_see_change_or_archive_user_a_contacts(alice, bob):
    cid = (await alice.post("/api/contacts", json={"full_name": "Ann Secret"})).json()["id"]
    assert (await bob.get(f"/api/contacts/{cid}")).status_code == 404
    assert (
        await bob.patch(f"/api/contacts/{cid}", json={"full_name": "Hacked"})
    ).status_code == 404
    assert (await bob.post(f"/api/contacts/{cid}/archive")).status_code == 404
    assert (await bob.get("/api/contacts", params={"q": "Secret"})).json()["total"] == 0
    bob_circle = (await bob.get("/api/circles")).json()[0]["id"]
    r = await alice.patch(f"/api/contacts/{cid}", json={"circle_id": bob_circle})
    assert r.status_code == 404, "a contact cannot be put into another user's circle"
    assert (await alice.patch(f"/api/circles/{bob_circle}", json={"name": "x"})).status_code == 404
    assert (await alice.get(f"/api/contacts/{cid}")).json()["full_name"] == "Ann Secret"


async def test_twenty_concurrent_contact_updates_all_succeed(app, alice):
    ids = [
        (await alice.post("/api/contacts", json={"full_name": f"P{i}"})).json()["id"]
        for i in range(20)
    ]

    async def edit(cid: int) -> int:
        async with new_client(app) as c:
            c.cookies = alice.cookies
            c.headers["x-csrftoken"] = alice.headers["x-csrftoken"]
            r = await c.patch(f"/api/contacts/{cid}", json={"note": f"note {cid}", "title": "T"})
            return r.status_code

    codes = await asyncio.gather(*(edit(cid) for cid in ids))
    assert codes == [200] * 20
    for cid in ids:
        assert (await alice.get(f"/api/contacts/{cid}")).json()["note"] == f"note {cid}"


async def test_circles_can_be_renamed_and_recadenced(alice):
    circle = (await alice.get("/api/circles")).json()[0]
    r = await alice.patch(
        f"/api/circles/{circle['id']}", json={"name": "Family", "cadence_days": 14}
    )
    assert r.status_code == 200
    assert r.json()["name"] == "Family" and r.json()["cadence_days"] == 14
    r = await alice.patch(f"/api/circles/{circle['id']}", json={"cadence_days": 0})
    assert r.status_code == 400


async def test_sign_in_works_for_an_account_made_by_the_service(app):
    from tests.conftest import make_user

    await make_user("carol@example.com")
    async with new_client(app) as c:
        assert (await sign_in(c, "carol@example.com")).status_code == 200
