"""Sign-in under attack: the throttle, password checks off the event loop, login CSRF, sessions
stored hashed, logout, what /health tells a stranger, and the manual source run's cooldown."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import threading
from typing import Any

import httpx
import pytest

from api.app import create_app
from tests.conftest import PASSWORD, make_user, sign_in
from tests.jobs import run_now

LOGIN = "/api/auth/login"
WRONG = {"email": "alice@example.com", "password": "not-the-password"}
RIGHT = {"email": "alice@example.com", "password": PASSWORD}


def client_at(app: Any, address: str, base_url: str = "http://testserver") -> httpx.AsyncClient:
    """A client whose requests come from `address` (the ASGI scope's client)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)), base_url=base_url
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the throttle itself ------------------------------------------------------------------


def test_the_sign_in_delay_doubles_after_the_free_failures_up_to_the_longest_delay() -> None:
    from api.security import LoginThrottle

    clock = FakeClock()
    throttle = LoginThrottle(free_failures=3, max_delay=60, clock=clock)
    for _ in range(3):
        assert throttle.attempt("a@x.org", "192.0.2.1") == 0
    waits = []
    for _ in range(8):
        wait = throttle.attempt("a@x.org", "192.0.2.1")
        assert wait > 0, "while delayed, an attempt is refused (and not counted)"
        assert throttle.attempt("a@x.org", "192.0.2.1") == wait
        clock.now += wait
        assert throttle.attempt("a@x.org", "192.0.2.1") == 0, "after the delay it may try again"
        waits.append(wait)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_delay_belongs_to_one_account_and_address_never_to_the_account_everywhere() -> None:
    from api.security import LoginThrottle

    clock = FakeClock()
    throttle = LoginThrottle(free_failures=3, max_delay=60, clock=clock)
    for _ in range(3):
        throttle.attempt("a@x.org", "192.0.2.1")
    assert throttle.attempt("a@x.org", "192.0.2.1") > 0
    assert throttle.attempt("a@x.org", "198.51.100.7") == 0, "the owner elsewhere is not delayed"
    assert throttle.attempt("b@x.org", "192.0.2.1") == 0, "another account from that address"
    throttle.succeeded("a@x.org", "192.0.2.1")
    assert throttle.attempt("a@x.org", "192.0.2.1") == 0, "a success forgets the failures"


def test_failures_are_forgotten_after_a_quiet_day() -> None:
    from api.security import LoginThrottle

    clock = FakeClock()
    throttle = LoginThrottle(free_failures=2, max_delay=60, clock=clock)
    for _ in range(2):
        throttle.attempt("a@x.org", "192.0.2.1")
    clock.now += 60
    throttle.attempt("a@x.org", "192.0.2.1")
    assert throttle.attempt("a@x.org", "192.0.2.1") == 2
    clock.now += 24 * 3600 + 1
    for _ in range(2):
        assert throttle.attempt("a@x.org", "192.0.2.1") == 0
    assert throttle.attempt("a@x.org", "192.0.2.1") == 1, "counting starts again from nothing"


def test_one_address_guessing_across_many_accounts_is_slowed_down_too() -> None:
    from api.security import LoginThrottle

    clock = FakeClock()
    throttle = LoginThrottle(free_failures=2, max_delay=60, clock=clock)
    spray = throttle.free_per_address
    assert spray == 20
    for i in range(spray):
        assert throttle.attempt(f"user{i}@x.org", "192.0.2.1") == 0
    assert throttle.attempt("next@x.org", "192.0.2.1") == 1
    assert throttle.attempt("next@x.org", "198.51.100.7") == 0, "other addresses are unaffected"


def test_the_throttle_remembers_a_bounded_number_of_keys() -> None:
    from api.security import LoginThrottle

    throttle = LoginThrottle(free_failures=5, max_delay=60, clock=FakeClock(), max_entries=100)
    for i in range(1000):
        throttle.attempt(f"user{i}@x.org", f"10.0.{i // 250}.{i % 250}")
    assert len(throttle) <= 100


# -- sign-in over HTTP --------------------------------------------------------------------


async def test_sixty_concurrent_wrong_sign_ins_verify_at_most_the_limit_and_health_answers(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import security

    await make_user("alice@example.com")
    in_flight = threading.Semaphore(0)
    gate = threading.Event()
    waited: list[bool] = []
    real_check = security.verifier.check

    def gated_check(password_hash: str | None, password: str) -> bool:
        # Runs where the verification runs. On the event loop it would block /health below,
        # the gate would never open, and `waited` would record False.
        in_flight.release()
        opened = gate.wait(timeout=20)
        gate.set()  # a failing run does not wait again for every later guess
        waited.append(opened)
        return real_check(password_hash, password)

    monkeypatch.setattr(security.verifier, "check", gated_check)
    calls_before = security.verifier.calls
    security.verifier.peak = 0
    async with (
        client_at(app, "203.0.113.9") as attacker,
        client_at(app, "198.51.100.4") as owner,
        client_at(app, "192.0.2.50") as monitor,
    ):
        guesses = [asyncio.create_task(attacker.post(LOGIN, json=WRONG)) for _ in range(60)]
        assert await asyncio.to_thread(in_flight.acquire, True, 20), "a verification started"
        health = await monitor.get("/health")
        health_done_while_verifying = not gate.is_set()
        gate.set()
        answers = await asyncio.gather(*guesses)
        statuses = sorted(a.status_code for a in answers)
        assert health.status_code == 200
        assert health_done_while_verifying, "/health answered while a password was being checked"
        assert all(waited), "every verification was still waiting when /health had answered"
        assert statuses == [401] * 5 + [429] * 55
        assert security.verifier.calls - calls_before == 5, "only the counted attempts verified"
        assert security.verifier.peak <= 2, "at most two verifications at once"
        refused = [a for a in answers if a.status_code == 429]
        assert all(int(a.headers["retry-after"]) >= 1 for a in refused)
        assert "try again in" in refused[0].json()["error"]
        monkeypatch.setattr(security.verifier, "check", real_check)
        r = await owner.post(LOGIN, json=RIGHT)
        assert r.status_code == 200, "the owner from another address signs in at once"
        assert (await owner.get("/api/auth/me")).json()["email"] == "alice@example.com"
        r = await attacker.post(LOGIN, json=RIGHT)
        assert r.status_code == 429, "the guessing address waits, even with the right password"


async def test_after_the_delay_the_right_password_signs_in_from_the_same_address(
    app: Any, clock: Any
) -> None:
    await make_user("alice@example.com")
    async with client_at(app, "203.0.113.9") as c:
        for _ in range(5):
            assert (await c.post(LOGIN, json=WRONG)).status_code == 401
        refused = await c.post(LOGIN, json=RIGHT)
        assert refused.status_code == 429
        clock.advance(seconds=int(refused.headers["retry-after"]) - 0.5)
        assert (await c.post(LOGIN, json=RIGHT)).status_code == 429
        clock.advance(seconds=0.5)
        assert (await c.post(LOGIN, json=RIGHT)).status_code == 200


async def test_spelling_the_email_differently_does_not_buy_more_guesses(client: Any) -> None:
    await make_user("alice@example.com")
    spellings = [
        "alice@example.com",
        "ALICE@example.com",
        " Alice@Example.COM ",
        "mailto:alice@example.com",
        "<alice@example.com>",
    ]
    for email in spellings:
        r = await client.post(LOGIN, json={"email": email, "password": "not-the-password"})
        assert r.status_code == 401
    r = await client.post(LOGIN, json={"email": "Alice@EXAMPLE.com", "password": "nope-nope"})
    assert r.status_code == 429


async def test_behind_a_trusted_proxy_the_throttle_sees_the_forwarded_client_address(
    clean_db: Any, clock: Any
) -> None:
    import uvicorn

    from api.cli.serve import uvicorn_options

    settings = dataclasses.replace(clean_db, forwarded_allow_ips="10.0.0.5")
    app = create_app(settings, clock, migrate_on_start=False, start_scheduler=False)
    config = uvicorn.Config(app, **{**uvicorn_options(settings), "log_config": None, "ws": "none"})
    config.load()
    served = config.loaded_app
    await make_user("alice@example.com")
    async with client_at(served, "10.0.0.5") as proxy, client_at(served, "192.0.2.66") as direct:
        attacker = {"x-forwarded-for": "203.0.113.9"}
        for _ in range(5):
            assert (await proxy.post(LOGIN, json=WRONG, headers=attacker)).status_code == 401
        assert (await proxy.post(LOGIN, json=RIGHT, headers=attacker)).status_code == 429
        owner = {"x-forwarded-for": "198.51.100.4"}
        assert (await proxy.post(LOGIN, json=RIGHT, headers=owner)).status_code == 200
        for i in range(5):
            forged = {"x-forwarded-for": f"198.51.100.{100 + i}"}
            assert (await direct.post(LOGIN, json=WRONG, headers=forged)).status_code == 401
        forged = {"x-forwarded-for": "198.51.100.200"}
        r = await direct.post(LOGIN, json=RIGHT, headers=forged)
        assert r.status_code == 429, "an untrusted peer cannot choose the address it is counted as"


def test_kith_serve_takes_the_trusted_proxies_from_the_command_line_or_the_settings() -> None:
    from api.cli.main import build_parser
    from api.cli.serve import uvicorn_options
    from api.settings import Settings

    assert Settings().forwarded_allow_ips == "127.0.0.1,::1"
    assert Settings.from_env({}).forwarded_allow_ips == "127.0.0.1,::1"
    assert (
        uvicorn_options(Settings.from_env({"KITH_FORWARDED_ALLOW_IPS": ""}))["proxy_headers"]
        is False
    )
    env = Settings.from_env({"KITH_FORWARDED_ALLOW_IPS": "10.0.0.5, 10.0.0.6"})
    assert uvicorn_options(env)["forwarded_allow_ips"] == "10.0.0.5,10.0.0.6"
    assert uvicorn_options(env)["proxy_headers"] is True
    args = build_parser().parse_args(["serve", "--forwarded-allow-ips", "192.168.1.2"])
    assert args.forwarded_allow_ips == "192.168.1.2"


# -- login CSRF ---------------------------------------------------------------------------

CROSS_SITE = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}


async def test_a_cross_site_text_plain_login_is_refused_and_signs_nobody_in(client: Any) -> None:
    await make_user("alice@example.com")
    body = json.dumps(RIGHT)
    r = await client.post(LOGIN, content=body, headers={**CROSS_SITE, "content-type": "text/plain"})
    assert r.status_code in (403, 415), r.text
    assert "kith_session" not in r.headers.get("set-cookie", "")
    assert (await client.get("/api/auth/me")).status_code == 401


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_a_login_that_is_not_json_gets_415(client: Any, content_type: str) -> None:
    await make_user("alice@example.com")
    body = json.dumps(RIGHT)
    r = await client.post(LOGIN, content=body, headers={"content-type": content_type})
    assert r.status_code == 415, r.text
    assert "application/json" in r.json()["error"]


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "https://sub.testserver"},
        {"origin": "http://testserver.evil.example"},
    ],
)
async def test_a_cross_site_json_login_gets_403(client: Any, headers: dict[str, str]) -> None:
    await make_user("alice@example.com")
    r = await client.post(LOGIN, json=RIGHT, headers=headers)
    assert r.status_code == 403, r.text
    assert "cross-site" in r.json()["error"]
    assert (await client.get("/api/auth/me")).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://testserver", "sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},
        {},
        {"origin": "http://127.0.0.1:8000", "host": "127.0.0.1:9999"},
    ],
    ids=["browser", "no-origin", "typed", "script", "behind-a-proxy-base-url"],
)
async def test_a_same_origin_json_login_works(client: Any, headers: dict[str, str]) -> None:
    await make_user("alice@example.com")
    r = await client.post(
        LOGIN, json=RIGHT, headers={"content-type": "application/json; charset=utf-8", **headers}
    )
    assert r.status_code == 200, r.text
    assert (await client.get("/api/auth/me")).json()["email"] == "alice@example.com"


async def test_the_origin_may_be_the_public_base_url_behind_a_proxy(
    clean_db: Any, clock: Any
) -> None:
    settings = dataclasses.replace(clean_db, base_url="https://kith.example.com")
    app = create_app(settings, clock, migrate_on_start=False, start_scheduler=False)
    await make_user("alice@example.com")
    async with client_at(app, "127.0.0.1", "http://127.0.0.1:8000") as c:
        ok = await c.post(LOGIN, json=RIGHT, headers={"origin": "https://kith.example.com"})
        assert ok.status_code == 200, ok.text
        bad = await c.post(LOGIN, json=RIGHT, headers={"origin": "http://kith.example.com"})
        assert bad.status_code == 403, "the scheme is part of the origin"


# -- sessions and logout ------------------------------------------------------------------


async def test_sessions_are_stored_under_a_hash_of_their_id(alice: Any) -> None:
    from api.db.tables import KVSession

    raw = alice.cookies.get("kith_session")
    keys = [r["key"] for r in await KVSession.select(KVSession.key).run()]
    assert raw not in keys
    assert keys == [hashlib.sha256(raw.encode()).hexdigest()]
    assert (await alice.get("/api/auth/me")).status_code == 200


async def test_the_migration_hashes_the_sessions_it_finds_so_nobody_is_signed_out(
    app: Any, clean_db: Any
) -> None:
    import importlib

    from api.db import migrations
    from api.db.tables import KVSession

    await make_user("alice@example.com")
    async with client_at(app, "127.0.0.1") as c:
        assert (await sign_in(c, "alice@example.com")).status_code == 200
        raw = str(c.cookies.get("kith_session"))
        # As the previous version stored it: under the raw id.
        await KVSession.update({KVSession.key: raw}, force=True).run()
    cookie = {"cookie": f"kith_session={raw}"}
    async with client_at(app, "127.0.0.1") as before:
        assert (await before.get("/api/auth/me", headers=cookie)).status_code == 401
    module = importlib.import_module(f"{migrations.__name__}.{SESSION_MIGRATION}")
    await module.hash_session_keys()
    async with client_at(app, "127.0.0.1") as after:
        assert (await after.get("/api/auth/me", headers=cookie)).status_code == 200


SESSION_MIGRATION = "kith_2026_12_03t07_00_00_000000"


async def test_logout_expires_the_session_cookie_at_once(alice: Any) -> None:
    r = await alice.post("/api/auth/logout")
    assert r.status_code == 200
    cookie = [c for c in r.headers.get_list("set-cookie") if c.startswith("kith_session=")]
    assert len(cookie) == 1
    parts = {p.strip().split("=", 1)[0].lower(): p.strip() for p in cookie[0].split(";")}
    assert cookie[0].startswith("kith_session=;") or cookie[0].startswith('kith_session="";')
    assert parts["max-age"].lower() == "max-age=0"
    assert "1970" in parts["expires"]
    assert "null" not in cookie[0]
    assert "httponly" in parts and "path" in parts
    assert (await alice.get("/api/auth/me")).status_code == 401


# -- /health ------------------------------------------------------------------------------

PUBLIC_HEALTH = {"status", "database", "engine", "migrations", "pending_migrations"}


async def test_health_tells_a_stranger_only_liveness_the_database_and_migrations(
    app: Any, client: Any, clock: Any
) -> None:
    from api.store import nightly_runs as store_sources

    bob = await make_user("bob@example.com")
    run = await store_sources.start_nightly(bob.id, clock())
    await store_sources.finish_nightly(run, "failed", clock(), {"error": "boom"})
    r = await client.get("/health")
    assert r.status_code == 200
    assert set(r.json()) == PUBLIC_HEALTH
    assert "set-cookie" not in r.headers


async def test_health_shows_a_signed_in_user_their_own_nightly_runs_only(
    alice: Any, clock: Any
) -> None:
    from api.services.users import find_user
    from api.store import nightly_runs as store_sources

    bob = await make_user("bob@example.com")
    run = await store_sources.start_nightly(bob.id, clock())
    await store_sources.finish_nightly(run, "failed", clock(), {"error": "boom"})
    body = (await alice.get("/health")).json()
    assert set(body) >= PUBLIC_HEALTH
    assert body["nightly"]["status"] == "never run", "bob's failed run is not alice's business"
    me = await find_user("alice@example.com")
    mine = await store_sources.start_nightly(me.id, clock())
    await store_sources.finish_nightly(mine, "ok", clock(), {})
    assert (await alice.get("/health")).json()["nightly"]["status"] == "ok"


# -- the manual source run ----------------------------------------------------------------


async def test_running_a_source_by_hand_is_allowed_once_a_minute_per_source(
    alice: Any, clean_db: Any, clock: Any
) -> None:
    from api.services.users import find_user

    user = await find_user("alice@example.com")
    folder = clean_db.folder_roots(user.id)[0]
    folder.mkdir(parents=True, exist_ok=True)
    first = await alice.post("/api/sources", json={"kind": "folder", "location": str(folder)})
    second = await alice.post(
        "/api/sources", json={"kind": "folder", "location": str(folder), "label": "two"}
    )
    one, two = first.json()["id"], second.json()["id"]
    ENDED = {"ok", "failed", "skipped"}  # whatever the shared drop folder holds
    assert (await run_now(alice, one))["status"] in ENDED
    again = await alice.post(f"/api/sources/{one}/run")
    assert again.status_code == 429, again.text
    assert 1 <= int(again.headers["retry-after"]) <= 60
    assert "try again in" in again.json()["error"]
    assert (await run_now(alice, two))["status"] in ENDED, "per source"
    clock.advance(seconds=59)
    assert (await alice.post(f"/api/sources/{one}/run")).status_code == 429
    clock.advance(seconds=1)
    assert (await run_now(alice, one))["status"] in ENDED
    assert (await alice.post("/api/sources/987654/run")).status_code == 404
    assert (await alice.post("/api/sources/987654/run")).status_code == 404, "a 404 costs no turn"
