"""The page-load reads answered before Litestar's stack (api/app_hot.py) answer exactly what
Litestar answers (status, headers in order, body), and everything unusual still goes to Litestar."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
from litestar import Litestar

from tests.conftest import make_user, new_client, sign_in

Headers = list[tuple[bytes, bytes]]


def _scope(path: str, headers: dict[str, str], method: str = "GET") -> dict[str, Any]:
    raw, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw,
        "raw_path": raw.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }


async def _ask(call: Any, scope: dict[str, Any]) -> tuple[int, Headers, bytes]:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await call(scope, receive, send)
    return sent[0]["status"], list(sent[0]["headers"]), b"".join(m["body"] for m in sent[1:])


async def _both(app: Any, path: str, headers: dict[str, str]) -> tuple[Any, Any, bool]:
    """(the app's answer, Litestar's own answer, whether the hot path answered)."""
    answered = await app.hot.answer(_scope(path, headers), _discard)
    mine = await _ask(app, _scope(path, headers))
    theirs = await _ask(lambda s, r, w: Litestar.__call__(app, s, r, w), _scope(path, headers))
    return mine, theirs, answered


async def _discard(message: Any) -> None:
    return None


def _cookies(c: httpx.AsyncClient) -> str:
    return "; ".join(f"{k}={v}" for k, v in c.cookies.items())


async def _signed_in(app: Any) -> tuple[httpx.AsyncClient, int]:
    await make_user("hot@example.com")
    c = new_client(app)
    assert (await sign_in(c, "hot@example.com")).status_code == 200
    circles = (await c.get("/api/circles")).json()
    first = None
    for n in range(30):
        body: dict[str, Any] = {"full_name": f"Person {n:02}", "emails": [f"p{n}@example.com"]}
        if n % 2:
            body["circle_id"] = circles[n % len(circles)]["id"]
        r = await c.post("/api/contacts", json=body)
        assert r.status_code == 201, r.text
        first = first or r.json()["id"]
        await c.post(f"/api/contacts/{r.json()['id']}/interactions", json={"kind": "coffee"})
    assert first is not None
    return c, first


async def test_the_page_load_reads_answer_what_litestar_answers_byte_for_byte(app):
    c, contact = await _signed_in(app)
    headers = {"host": "testserver", "cookie": _cookies(c)}
    for path in (
        "/api/auth/me",
        "/api/today",
        "/api/contacts",
        "/api/contacts?limit=50",
        "/api/contacts?limit=5&offset=3",
        "/api/contacts?offset=28",
        f"/api/contacts/{contact}/strength",
    ):
        mine, theirs, answered = await _both(app, path, headers)
        assert answered, path
        assert mine == theirs, path
        assert mine[0] == 200
    await c.aclose()


async def test_a_compressed_answer_has_litestars_headers_and_the_same_json(app):
    c, _ = await _signed_in(app)
    headers = {"host": "testserver", "cookie": _cookies(c), "accept-encoding": "gzip"}
    for path in ("/api/contacts", "/api/today", "/api/auth/me"):
        mine, theirs, answered = await _both(app, path, headers)
        assert answered, path
        assert mine[0] == theirs[0] == 200
        names = [k for k, _ in mine[1]]
        assert names == [k for k, _ in theirs[1]], path
        assert gzip.decompress(mine[2]) if b"content-encoding" in names else mine[2]
        unpack = gzip.decompress if b"content-encoding" in names else bytes
        assert unpack(mine[2]) == unpack(theirs[2]), path
        length = dict(mine[1])[b"content-length"]
        assert int(length) == len(mine[2])
    await c.aclose()


async def test_unusual_requests_go_on_to_litestar_and_get_its_answer(app):
    c, contact = await _signed_in(app)
    cookie = _cookies(c)
    csrf = c.cookies["csrftoken"]
    session = c.cookies["kith_session"]
    other = new_client(app)
    await make_user("other@example.com")
    assert (await sign_in(other, "other@example.com")).status_code == 200
    theirs = (await other.get("/api/contacts")).json()["total"]
    assert theirs == 0
    cases = [
        # another user's contact: 404 from Litestar's error mapping
        (f"/api/contacts/{contact}/strength", {"cookie": _cookies(other)}),
        ("/api/contacts?limit=0", {"cookie": cookie}),  # out of range: Litestar's 400
        ("/api/contacts?limit=501", {"cookie": cookie}),
        ("/api/contacts?limit=5&limit=6", {"cookie": cookie}),
        ("/api/contacts?q=", {"cookie": cookie}),
        ("/api/contacts?q=a&q=b", {"cookie": cookie}),
        ("/api/contacts?q=Person&circle_id=1", {"cookie": cookie}),
        ("/api/contacts?limit=x", {"cookie": cookie}),
        ("/api/contacts/0/strength", {"cookie": cookie}),
        ("/api/today?x=1", {"cookie": cookie}),
        ("/api/auth/me", {"cookie": f"kith_session={session}"}),  # a new CSRF cookie is due
        ("/api/auth/me", {"cookie": f"csrftoken={csrf}"}),  # not signed in: 401
        ("/api/auth/me", {"cookie": f"kith_session=forged; csrftoken={csrf}"}),
        ("/api/auth/me", {}),
    ]
    for path, headers in cases:
        mine, theirs, answered = await _both(app, path, {"host": "testserver", **headers})
        assert not answered, (path, headers)
        assert mine[0] == theirs[0], (path, headers)
    statuses = []
    for path, headers in cases:
        mine, _, _ = await _both(app, path, {"host": "testserver", **headers})
        statuses.append(mine[0])
    assert statuses == [404, 400, 400, 200, 200, 200, 200, 400, 400, 200, 200, 401, 401, 401]
    scope = _scope("/api/auth/me", {"cookie": cookie}, method="HEAD")
    assert not await app.hot.answer(scope, _discard)
    await c.aclose()
    await other.aclose()


async def test_a_signed_out_session_is_refused_on_the_hot_path_too(app):
    c, _ = await _signed_in(app)
    cookie = _cookies(c)
    assert (await c.post("/api/auth/logout")).status_code == 200
    status, _, _ = await _ask(app, _scope("/api/auth/me", {"cookie": cookie}))
    assert status == 401
    await c.aclose()


async def _feed_path(c: httpx.AsyncClient) -> str:
    url = (await c.get("/api/feed")).json()["https_url"]
    return "/" + url.split("/", 3)[3]


async def test_the_calendar_feed_answers_what_litestar_answers_byte_for_byte(app):
    c, _ = await _signed_in(app)
    path = await _feed_path(c)
    plain = {"host": "testserver", "user-agent": "Google-Calendar-Importer"}
    mine, theirs, answered = await _both(app, path, plain)
    assert answered and mine == theirs and mine[0] == 200
    assert b"BEGIN:VCALENDAR" in mine[2]
    etag = dict(mine[1])[b"etag"].decode()
    zipped = {**plain, "accept-encoding": "gzip, deflate"}
    mine, theirs, answered = await _both(app, path, zipped)
    assert answered and mine == theirs and mine[0] == 200
    zipped_etag = dict(mine[1])[b"etag"].decode()
    assert zipped_etag.endswith('-gzip"') and gzip.decompress(mine[2]).startswith(b"BEGIN:")
    for if_none_match in (etag, zipped_etag, f"W/{etag}", '"other", ' + etag, "*"):
        for headers in (plain, zipped):
            asked = {**headers, "if-none-match": if_none_match}
            mine, theirs, answered = await _both(app, path, asked)
            assert answered and mine == theirs and mine[0] == 304, if_none_match
            assert mine[2] == b""
    mine, theirs, answered = await _both(app, path, {**plain, "if-none-match": '"other"'})
    assert answered and mine == theirs and mine[0] == 200
    info = (await c.get("/api/feed")).json()
    assert info["last_user_agent"] == "Google-Calendar-Importer" and info["last_fetched_at"]
    await c.aclose()


async def test_a_feed_request_out_of_the_ordinary_goes_on_to_litestar(app):
    c, _ = await _signed_in(app)
    path = await _feed_path(c)
    token = path.split("/")[2]
    cases = [
        (path.replace(token, "x" * 43), {}, "GET"),  # unknown token: Litestar's 404
        (path.replace(token, "short"), {}, "GET"),
        (path + "?x=1", {}, "GET"),
        (path + "/", {}, "GET"),
        (path, {"accept-encoding": "gzip"}, "HEAD"),
    ]
    for p, headers, method in cases:
        scope = _scope(p, {"host": "testserver", **headers}, method=method)
        assert not await app.hot.answer(scope, _discard), (p, method)
    assert (await _ask(app, _scope(cases[0][0], {"host": "testserver"})))[0] == 404
    twice = _scope(path, {"host": "testserver"})
    twice["headers"] += [(b"if-none-match", b"*"), (b"if-none-match", b'"x"')]
    assert not await app.hot.answer(twice, _discard)
    await c.aclose()
