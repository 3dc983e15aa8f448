"""Accounts: sign-in, sessions, CSRF and throttling."""

from __future__ import annotations

import dataclasses

from api.app import create_app
from tests.conftest import PASSWORD, make_user, new_client, sign_in


async def test_wrong_password_fails_and_repeated_failures_are_rate_limited(app, client):
    await make_user("alice@example.com")
    for _ in range(5):
        r = await client.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": "wrong-password!"}
        )
        assert r.status_code == 401
        assert r.json() == {"error": "wrong email or password"}
    r = await client.post(
        "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert r.status_code == 429
    assert "too many failed sign-ins" in r.json()["error"]


async def test_failures_on_other_accounts_do_not_delay_this_one(app, client):
    for i in range(5):
        await client.post(
            "/api/auth/login", json={"email": f"x{i}@example.com", "password": "nope-nope-1"}
        )
    await make_user("alice@example.com")
    r = await client.post(
        "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert r.status_code == 200


async def test_one_address_failing_on_many_accounts_is_slowed_down(clean_db, clock):
    app = create_app(
        dataclasses.replace(clean_db, login_attempts_per_window=1),
        clock,
        migrate_on_start=False,
        start_scheduler=False,
    )
    await make_user("alice@example.com")
    async with new_client(app) as c:
        for i in range(10):  # ten times the per-account allowance, spread over accounts
            r = await c.post(
                "/api/auth/login", json={"email": f"x{i}@example.com", "password": "nope-nope-1"}
            )
            assert r.status_code == 401
        r = await c.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert r.status_code == 429
        clock.advance(seconds=int(r.headers["retry-after"]))
        r = await c.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert r.status_code == 200, "a delay, never a lock"


async def test_unknown_account_gives_the_same_answer_as_a_wrong_password(app, client):
    r = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": "whatever-123"}
    )
    assert r.status_code == 401
    assert r.json() == {"error": "wrong email or password"}


async def test_session_cookie_is_httponly_lax_and_renewed_at_sign_in(app, client):
    await make_user("alice@example.com")
    client.cookies.set("kith_session", "planted-session-id-from-an-attacker")
    r = await client.post(
        "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # base URL is http here
    assert "planted-session-id-from-an-attacker" not in cookie
    client.cookies.clear()
    client.cookies.set("kith_session", cookie.split(";")[0].split("=", 1)[1])
    assert (await client.get("/api/auth/me")).json()["email"] == "alice@example.com"


async def test_api_needs_a_signed_in_user(client):
    r = await client.get("/api/contacts")
    assert r.status_code == 401
    assert r.json() == {"error": "sign in first"}


async def test_writes_without_the_csrf_token_are_refused(alice):
    token = alice.headers.pop("x-csrftoken")
    r = await alice.post("/api/contacts", json={"full_name": "Ann Lee"})
    assert r.status_code == 403
    assert "CSRF" in r.json()["error"]
    r = await alice.post(
        "/api/contacts", json={"full_name": "Ann Lee"}, headers={"x-csrftoken": token}
    )
    assert r.status_code == 201


async def test_logout_ends_the_session(alice):
    assert (await alice.post("/api/auth/logout")).status_code == 200
    assert (await alice.get("/api/contacts")).status_code == 401


async def test_settings_are_validated_and_saved(alice):
    r = await alice.patch("/api/settings", json={"timezone": "Europe/Berlin", "per_day_cap": 2})
    assert r.status_code == 200
    assert r.json()["timezone"] == "Europe/Berlin" and r.json()["per_day_cap"] == 2
    r = await alice.patch("/api/settings", json={"timezone": "Mars/Olympus"})
    assert r.status_code == 400
    assert "is not a known time zone" in r.json()["error"]


async def test_a_new_account_starts_with_the_default_circles(alice):
    names = [c["name"] for c in (await alice.get("/api/circles")).json()]
    assert names == ["Inner", "Close", "Friends", "Network", "Strategic", "Operational", "Personal"]


async def test_sessions_are_shared_by_every_app_process(app, clean_db, clock):
    """Sessions live in the database, so a second process (here a second app) knows them."""
    from api.app import create_app

    await make_user("alice@example.com")
    other = create_app(clean_db, clock, migrate_on_start=False, start_scheduler=False)
    async with new_client(app) as c1, new_client(other) as c2:
        await sign_in(c1, "alice@example.com")
        c2.cookies.set("kith_session", c1.cookies["kith_session"])
        assert (await c2.get("/api/auth/me")).status_code == 200
