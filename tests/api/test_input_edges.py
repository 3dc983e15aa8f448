"""Hostile or unlucky input at the HTTP edge: unknown fields, search wildcards (issue 12).

Every test runs on SQLite and on PostgreSQL (the `database` fixture): both engines give the
same answer.
"""

from __future__ import annotations

import pytest


async def test_an_unknown_field_in_a_patch_is_a_400_naming_it(alice):
    cid = (await alice.post("/api/contacts", json={"full_name": "Ann Lee"})).json()["id"]
    r = await alice.patch(f"/api/contacts/{cid}", json={"fullname": "Ann Smith"})
    assert r.status_code == 400, r.text
    assert "fullname" in r.json()["error"], r.json()
    assert (await alice.get(f"/api/contacts/{cid}")).json()["full_name"] == "Ann Lee"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/contacts", {"full_name": "Ann", "organisation": "Acme"}),
        ("PATCH", "/api/settings", {"time_zone": "Europe/Paris"}),
        ("PATCH", "/api/circles/{circle}", {"title": "Friends"}),
        ("POST", "/api/contacts/{contact}/interactions", {"kind": "call", "notes": "hi"}),
        ("POST", "/api/contacts/{contact}/snooze", {"by": "week", "days": 3}),
        ("POST", "/api/contacts/{contact}/done", {"kind": "call", "extra": 1}),
        ("POST", "/api/sources", {"kind": "url", "location": "https://x.example/", "lable": "x"}),
    ],
)
async def test_every_json_body_refuses_unknown_fields(alice, method, path, body):
    contact = (await alice.post("/api/contacts", json={"full_name": "Bo"})).json()["id"]
    circle = (await alice.get("/api/circles")).json()[0]["id"]
    url = path.format(contact=contact, circle=circle)
    r = await alice.request(method, url, json=body)
    assert r.status_code == 400, r.text
    unknown = next(k for k in body if k not in {"full_name", "kind", "location", "by"})
    assert unknown in r.json()["error"]


async def test_a_follow_up_with_an_unknown_field_is_refused_too(alice):
    cid = (await alice.post("/api/contacts", json={"full_name": "Bo"})).json()["id"]
    body = {"kind": "call", "follow_up": {"what": "send deck", "due_on": "2026-12-01", "x": 1}}
    r = await alice.post(f"/api/contacts/{cid}/interactions", json=body)
    assert r.status_code == 400 and "`x`" in r.json()["error"], r.text


async def test_search_treats_percent_and_underscore_literally(alice):
    for name in ("100% Ann", "100 Bo", "a_b Cy", "axb Dee", "back\\slash Eve", "bang! Fay"):
        assert (await alice.post("/api/contacts", json={"full_name": name})).status_code == 201

    async def names(q: str) -> list[str]:
        page = (await alice.get("/api/contacts", params={"q": q})).json()
        return [c["full_name"] for c in page["items"]]

    assert await names("%") == ["100% Ann"]
    assert await names("0%") == ["100% Ann"]
    assert await names("_") == ["a_b Cy"]
    assert await names("a_b") == ["a_b Cy"]
    assert await names("\\") == ["back\\slash Eve"]
    assert await names("!") == ["bang! Fay"]
    assert await names("ANN") == ["100% Ann"], "still case-insensitive"
