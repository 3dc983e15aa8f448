"""First run in the browser: the one-time setup link, POST /api/auth/setup and the session probe."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.services import setup as first_run
from api.services.users import count_users
from api.store import setup_code
from tests.conftest import PASSWORD, make_user

FORM = {
    "email": "first@example.com",
    "password": PASSWORD,
    "timezone": "Europe/Berlin",
    "region": "DE",
}


@pytest.fixture
async def code(clean_db: Any) -> str:
    """The current setup code, made as `kith serve` makes it (a fresh one for each test)."""
    setup_code.discard(clean_db.data_dir)
    link = await first_run.setup_link(clean_db)
    assert link is not None
    return link.rsplit("code=", 1)[1]


async def armed(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The CSRF header the page sends, from the cookie any GET sets (here the session probe)."""
    r = await client.get("/api/auth/session")
    assert r.status_code == 200
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    return client


async def test_setup_without_the_code_with_a_wrong_code_and_after_an_account_exists_is_403_403_409(
    app, client, code
):
    await armed(client)
    r = await client.post("/api/auth/setup", json=FORM)
    assert r.status_code == 403
    assert "setup link" in r.json()["error"]
    r = await client.post("/api/auth/setup", json={**FORM, "code": code[:-2] + "xx"})
    assert r.status_code == 403
    assert await count_users() == 0
    assert "kith_session" not in client.cookies
    await make_user("made-by-cli@example.com")
    r = await client.post("/api/auth/setup", json={**FORM, "code": code})
    assert r.status_code == 409
    assert "already exists" in r.json()["error"]
    assert await count_users() == 1
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_the_right_code_makes_the_first_account_signed_in_with_the_browsers_time_zone(
    app, client, clean_db, code
):
    await armed(client)
    assert (await client.get("/api/auth/setup", params={"code": code})).json() == {
        "open": True,
        "code_valid": True,
    }
    r = await client.post("/api/auth/setup", json={**FORM, "code": code})
    assert r.status_code == 201, r.text
    assert (r.json()["email"], r.json()["timezone"], r.json()["region"]) == (
        "first@example.com",
        "Europe/Berlin",
        "DE",
    )
    assert "HttpOnly" in r.headers["set-cookie"]
    me = (await client.get("/api/auth/me")).json()
    assert me["timezone"] == "Europe/Berlin"
    circles = (await client.get("/api/circles")).json()
    assert len(circles) > 0, "the first account gets the default circles"
    # The link is used up: the code file is gone and setup is closed, for any code.
    assert setup_code.read(clean_db.data_dir) is None
    assert (await client.get("/api/auth/setup", params={"code": code})).json() == {
        "open": False,
        "code_valid": False,
    }
    r = await client.post(
        "/api/auth/setup", json={**FORM, "email": "2nd@example.com", "code": code}
    )
    assert r.status_code == 409
    assert await count_users() == 1


async def test_the_setup_code_survives_a_restart_and_a_second_ask(clean_db, code):
    assert setup_code.read(clean_db.data_dir) == code
    again = await first_run.setup_link(clean_db)
    assert again == f"{clean_db.base_url}/#/setup?code={code}"
    assert len(code) >= 43  # 256 bits or more, URL-safe


async def test_setup_takes_json_from_this_origin_only_and_needs_the_csrf_token(app, client, code):
    r = await client.post("/api/auth/setup", json={**FORM, "code": code})
    assert r.status_code == 403, "no CSRF token"
    await armed(client)
    r = await client.post("/api/auth/setup", data={**FORM, "code": code})
    assert r.status_code == 415
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        r = await client.post("/api/auth/setup", json={**FORM, "code": code}, headers=headers)
        assert r.status_code == 403
    assert await count_users() == 0
    r = await client.post(
        "/api/auth/setup", json={**FORM, "code": code}, headers={"origin": "http://testserver"}
    )
    assert r.status_code == 201


async def test_setup_refuses_a_short_password_a_bad_time_zone_and_region_and_creates_nothing(
    app, client, code
):
    await armed(client)
    for bad, message in (
        ({"password": "x" * 9}, "at least 10 characters"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"region": "Germany"}, "two-letter"),
        ({"email": "not-an-address"}, "not an email address"),
    ):
        r = await client.post("/api/auth/setup", json={**FORM, **bad, "code": code})
        assert r.status_code == 400 and message in r.json()["error"], r.text
    assert await count_users() == 0


async def test_an_empty_region_falls_back_to_the_default_region(app, client, code):
    await armed(client)
    r = await client.post("/api/auth/setup", json={**FORM, "region": "", "code": code})
    assert r.status_code == 201 and r.json()["region"] == "US"


async def test_the_session_probe_answers_200_signed_in_or_not(app, client, code):
    r = await client.get("/api/auth/session")
    assert r.status_code == 200 and r.json() == {"signed_in": False, "user": None}
    assert "csrftoken" in client.cookies
    assert (await client.get("/api/auth/setup")).json() == {"open": True, "code_valid": False}
    await armed(client)
    await client.post("/api/auth/setup", json={**FORM, "code": code})
    r = await client.get("/api/auth/session")
    assert r.json()["signed_in"] is True and r.json()["user"]["email"] == "first@example.com"


async def test_the_guide_ticks_import_circles_and_a_fetched_feed_in_turn(app, alice):
    async def guide() -> dict[str, Any]:
        r = await alice.get("/api/guide")
        assert r.status_code == 200
        return dict(r.json())

    assert await guide() == {"contacts": 0, "in_circle": 0, "feed_fetched": False, "done": False}
    contact = (await alice.post("/api/contacts", json={"full_name": "Ann Lee"})).json()
    assert (await guide())["contacts"] == 1
    circle = (await alice.get("/api/circles")).json()[0]["id"]
    await alice.patch(f"/api/contacts/{contact['id']}", json={"circle_id": circle})
    assert await guide() == {"contacts": 1, "in_circle": 1, "feed_fetched": False, "done": False}
    feed = (await alice.get("/api/feed")).json()
    assert (await guide())["feed_fetched"] is False, "showing the link is not subscribing"
    path = "/" + feed["https_url"].split("/", 3)[3]
    assert (await alice.get(path)).status_code == 200
    assert await guide() == {"contacts": 1, "in_circle": 1, "feed_fetched": True, "done": True}
    await alice.post("/api/feed/rotate")
    assert (await guide())["done"] is False, "a new link must be subscribed again"


async def test_signed_out_answers_are_never_kept_and_tell_the_worker_to_drop_its_copies(
    app, client
):
    r = await client.get("/api/auth/session")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-kith-signed-out"] == "1"
    assert (await client.get("/api/auth/setup")).headers["cache-control"] == "no-store"
