"""The page-load reads answered before Litestar's stack (api/app_hot.py) answer exactly what
Litestar answers (status, headers in order, body), and everything unusual still goes to Litestar."""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import msgspec
from litestar import Litestar

from api.errors import NotFound
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


async def _ask(call: Any, scope: dict[str, Any], body: bytes = b"") -> tuple[int, Headers, bytes]:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

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


# The two writes answered before Litestar's stack (api/app_hot_write.py).


def _write(path: str, headers: dict[str, str], body: bytes, method: str = "POST") -> Any:
    sized = {"content-type": "application/json", "content-length": str(len(body)), **headers}
    return _scope(path, {"host": "testserver", **{k: v for k, v in sized.items() if v}}, method)


async def _send_write(app: Any, scope: dict[str, Any], chunks: list[bytes]) -> tuple[Any, bool]:
    """(the app's answer, whether api/app_hot_write.py answered it): the body arrives in
    `chunks`, and what goes on goes to Litestar with the `receive` the hot path hands back."""
    sent: list[Any] = []
    pending = [
        {"type": "http.request", "body": c, "more_body": n < len(chunks) - 1}
        for n, c in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    passed = await app.hot_writes.answer(scope, receive, send)
    if passed is not None:
        await Litestar.__call__(app, scope, passed, send)
    body = b"".join(m["body"] for m in sent[1:])
    return (sent[0]["status"], list(sent[0]["headers"]), body), passed is None


async def _litestar_write(app: Any, scope: dict[str, Any], body: bytes) -> Any:
    return await _ask(lambda s, r, w: Litestar.__call__(app, s, r, w), scope, body)


def _same_headers(mine: Headers, theirs: Headers, *, compressed: bool) -> bool:
    """The same headers in the same order; compressed, the length may differ as the gzip
    bytes do (Litestar's carry a time), so only its name is compared, and it must be true."""
    if not compressed:
        return mine == theirs
    assert dict(mine)[b"content-length"] and dict(theirs)[b"content-length"]
    return [k for k, _ in mine] == [k for k, _ in theirs] and [
        h for h in mine if h[0] != b"content-length"
    ] == [h for h in theirs if h[0] != b"content-length"]


async def test_logging_and_editing_answer_what_litestar_answers_byte_for_byte(app):
    c, contact = await _signed_in(app)
    signed = {"cookie": _cookies(c), "x-csrftoken": c.cookies["csrftoken"]}
    path = f"/api/contacts/{contact}/interactions"
    for extra in ({}, {"accept-encoding": "gzip"}):
        headers = {**signed, **extra}
        note = b"a long note " * 100 if extra else b"short"  # over the gzip threshold
        theirs_body = b'{"kind":"call","note":"%s","idempotency_key":"theirs%d"}' % (
            note,
            len(extra),
        )
        theirs = await _litestar_write(app, _write(path, headers, theirs_body), theirs_body)
        assert theirs[0] == 201, theirs
        assert (b"content-encoding", b"gzip") in theirs[1] if extra else True
        unpack = gzip.decompress if extra else bytes
        their_id = msgspec.json.decode(unpack(theirs[2]))["interaction"]["id"]
        assert (await c.delete(f"/api/interactions/{their_id}")).status_code == 200
        body = b'{"kind":"call","note":"%s","idempotency_key":"mine%d"}' % (note, len(extra))
        mine, answered = await _send_write(app, _write(path, headers, body), [body[:9], body[9:]])
        assert answered and mine[0] == 201
        my_id = msgspec.json.decode(unpack(mine[2]))["interaction"]["id"]
        assert len(str(my_id)) == len(str(their_id))  # the same content length
        same_id = unpack(mine[2]).replace(b'"id":%d,' % my_id, b'"id":%d,' % their_id, 1)
        assert (mine[0], same_id) == (theirs[0], unpack(theirs[2]))
        assert _same_headers(mine[1], theirs[1], compressed=bool(extra))
        # The same key again is a replay: 200, answered here, as Litestar answers it.
        mine, answered = await _send_write(app, _write(path, headers, body), [body])
        theirs = await _litestar_write(app, _write(path, headers, body), body)
        assert answered and mine[0] == theirs[0] == 200
        assert unpack(mine[2]) == unpack(theirs[2])
        assert _same_headers(mine[1], theirs[1], compressed=bool(extra))
        edit = b'{"note":"met at the fair %d"}' % len(extra)
        patch = _write(f"/api/contacts/{contact}", headers, edit, "PATCH")
        mine, answered = await _send_write(app, patch, [edit])
        theirs = await _litestar_write(app, patch, edit)  # the same edit at the same time
        assert answered and mine == theirs and mine[0] == 200
    assert (await c.get(f"/api/contacts/{contact}")).json()["note"] == "met at the fair 1"
    await c.aclose()


async def test_an_unusual_write_goes_on_to_litestar_with_its_body_and_gets_its_answer(app):
    c, contact = await _signed_in(app)
    other = new_client(app)
    await make_user("other@example.com")
    assert (await sign_in(other, "other@example.com")).status_code == 200
    csrf = c.cookies["csrftoken"]
    signed = {"cookie": _cookies(c), "x-csrftoken": csrf}
    path = f"/api/contacts/{contact}/interactions"
    log = b'{"kind":"coffee"}'
    cases: list[tuple[str, str, dict[str, str], bytes, int]] = [
        (
            path,
            "POST",
            {**signed, "x-csrftoken": csrf[:-1] + ("1" if csrf.endswith("0") else "0")},
            log,
            403,
        ),
        (path, "POST", {**signed, "x-csrftoken": ""}, log, 403),
        (path, "POST", {"cookie": f"kith_session={c.cookies['kith_session']}"}, log, 403),
        (path, "POST", {**signed, "cookie": _cookies(other)}, log, 403),  # not its cookie
        (
            path,
            "POST",
            {"cookie": _cookies(other), "x-csrftoken": other.cookies["csrftoken"]},
            log,
            404,
        ),
        ("/api/contacts/999999/interactions", "POST", signed, log, 404),
        (path, "POST", signed, b'{"kind":"dance"}', 400),  # the service's validation
        (path, "POST", signed, b'{"kind":5}', 400),  # Litestar's validation
        (path, "POST", signed, b'{"kind":"call","extra":1}', 400),
        (path, "POST", signed, b"", 400),
        (path, "POST", signed, b'{"kind":"call","attendee_count":"3"}', 201),  # lenient only
        (path + "?x=1", "POST", signed, log, 201),
        (path, "POST", {**signed, "content-type": "application/json; charset=utf-8"}, log, 201),
        (path, "POST", {**signed, "content-length": "", "transfer-encoding": "chunked"}, log, 201),
        (path, "POST", {**signed, "content-length": str(30 * 1024 * 1024)}, log, 413),
        (f"/api/contacts/{contact}", "PATCH", signed, b'{"full_name":""}', 400),
        (f"/api/contacts/{contact}", "PATCH", signed, b'{"nope":1}', 400),
    ]
    for p, method, headers, body, status in cases:
        chunks = [body[:4], body[4:]] if body else [b""]
        mine, answered = await _send_write(app, _write(p, headers, body, method), chunks)
        theirs = await _litestar_write(app, _write(p, headers, body, method), body)
        assert not answered, (p, headers, body)
        assert mine[0] == theirs[0] == status, (p, headers, body, mine)
        if status != 201:
            assert mine == theirs, (p, headers, body)
    counts = [i["attendee_count"] for i in (await c.get(path)).json()]
    assert counts.count(3) == 2  # the lenient body reached Litestar intact, both times
    # The client goes away mid-body: what was read, then the disconnect, goes on to Litestar.
    arrived = [{"type": "http.request", "body": log[:3], "more_body": True}]
    arrived.append({"type": "http.disconnect"})
    pending = list(arrived)

    async def receive() -> Any:
        return pending.pop(0)

    passed = await app.hot_writes.answer(_write(path, signed, log), receive, _discard)
    assert passed is not None and [await passed(), await passed()] == arrived
    await c.aclose()
    await other.aclose()


async def test_a_failure_after_the_commit_is_answered_as_litestar_does_and_never_written_twice(
    app, monkeypatch
):
    from api.services import contacts

    c, contact = await _signed_in(app)
    signed = {"cookie": _cookies(c), "x-csrftoken": c.cookies["csrftoken"]}
    path = f"/api/contacts/{contact}/interactions"
    before = len((await c.get(path)).json())
    for failure, status in ((RuntimeError("boom"), 500), (NotFound("no such contact"), 404)):

        async def failing(*args: Any, failure: Exception = failure, **kwargs: Any) -> Any:
            raise failure

        monkeypatch.setattr(contacts, "get_contact", failing)
        mine, answered = await _send_write(
            app, _write(path, signed, b'{"kind":"call"}'), [b'{"kind":"call"}']
        )
        theirs = await _litestar_write(
            app, _write(path, signed, b'{"kind":"call"}'), b'{"kind":"call"}'
        )
        monkeypatch.undo()
        assert answered and mine == theirs and mine[0] == status
    # Each of the four requests wrote once: the hot path never handed a committed log on.
    assert len((await c.get(path)).json()) == before + 4
    await c.aclose()
