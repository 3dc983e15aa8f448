"""The signed-in reads every page load makes, answered before Litestar's stack when nothing about
the request is unusual; anything else goes on to Litestar, which answers it as it always did.

Why: on these paths the work itself (a session row, the user row, one or two indexed reads,
msgspec encoding) costs tens of microseconds, and Litestar's per-request machinery around it
(exception, session, authentication, CSRF and compression middleware, the router, parameter
parsing and the response object; ~70-100 us on this machine) cost as much again: the
`/api/auth/me` bench figure is mostly that machinery. So this module does the same steps
directly, for the common case only:

- GET, on one of the paths below, with both the session cookie and the CSRF cookie present (a
  GET without the CSRF cookie must be answered with a new one: Litestar's CSRF middleware does
  that, so such requests go on to it);
- a session that loads (the same store and the same decoding as Litestar's server-side session
  backend) and names a user that exists; otherwise Litestar answers 401 as before;
- for the contacts list, only a search (`q`, not empty) and `limit` and `offset` in range, each
  at most once; any other query (filters, an out-of-range value Litestar must refuse with its
  400) goes on;
- a service that raises (a contact that is not the user's: 404) or any other failure: nothing
  was sent yet, so the request goes on to Litestar, which reads the same rows again and answers
  with its usual error mapping. A GET has no side effect, so running it twice is harmless;
- the calendar feed's GET (`/feed/{token}/kith.ics`, no query, no cookie needed), which a
  calendar polls and the load test's mix is one quarter of: the route's own `feed_answer`
  builds the answer, and the fetch bookkeeping (the feed's one write) runs only after the
  answer was sent, as the route's background task does.

Nothing is cached across requests beyond what the routes cache themselves (the feed's render,
keyed by a fingerprint read on every request): every answer reads the session, the user and the
data from the database, as the Litestar path does, so several processes never serve each other
stale data.
The answer is byte for byte Litestar's (same JSON encoder, same headers in the same order, gzip
at the same level and threshold); tests/api/test_hot_paths.py compares the two.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar._parsers import parse_cookie_string, parse_query_string
from litestar.stores.base import Store

from api.auth import SESSION_COOKIE, user_of_session
from api.clock import Clock
from api.routes.deps import MAX_ID
from api.routes.feed import feed_answer
from api.schemas import ContactPage, StrengthOut
from api.services import contacts, feed, strength, today
from api.services.feed import FeedCache
from api.services.users import UserInfo
from api.settings import Settings

CSRF_COOKIE = "csrftoken"
_STRENGTH = re.compile(r"^/api/contacts/([1-9][0-9]{0,9})/strength$")
_FEED = re.compile(r"^/feed/([^/]+)/kith\.ics$")
_FEED_READS = (b"user-agent", b"accept-encoding", b"if-none-match")
_CALENDAR = (b"content-type", b"text/calendar; charset=utf-8")
_QUERY_INT = re.compile(r"^(?:0|[1-9][0-9]{0,9})$")
_encode = msgspec.json.Encoder().encode
_decode_session = msgspec.json.Decoder(dict[str, Any]).decode
Handler = Callable[[UserInfo], Awaitable[Any]]


def _list_args(query: bytes) -> tuple[str | None, int, int] | None:
    """(q, limit, offset) when the query holds nothing else, each at most once, `q` not empty
    and the numbers in the route's ranges; decoded by Litestar's own query parser."""
    q: str | None = None
    limit, offset = 50, 0
    seen: set[str] = set()
    for name, value in parse_query_string(query) if query else ():
        if name in seen:
            return None
        seen.add(name)
        if name == "q":
            if not value:
                return None
            q = value
        elif name in ("limit", "offset") and _QUERY_INT.match(value):
            if name == "limit":
                limit = int(value)
            else:
                offset = int(value)
        else:
            return None
    if not (1 <= limit <= 500 and 0 <= offset <= MAX_ID):
        return None
    return q, limit, offset


class HotPaths:
    """`await answer(scope, send)` is True when the request was answered here."""

    def __init__(
        self,
        clock: Clock,
        sessions: Callable[[], Store],
        security_headers: tuple[tuple[bytes, bytes], ...],
        gzip_level: int,
        gzip_minimum: int,
        settings: Settings,
        feed_cache: FeedCache,
    ) -> None:
        self.clock = clock
        self.settings = settings
        self.feed_cache = feed_cache
        self.sessions = sessions
        self.security_headers = security_headers
        self.gzip_level = gzip_level
        self.gzip_minimum = gzip_minimum

    def _handler(self, scope: Any) -> Handler | None:
        path = scope["path"]
        query: bytes = scope.get("query_string") or b""
        if path == "/api/auth/me" and not query:
            return self._me
        if path == "/api/today" and not query:
            return self._today
        if path == "/api/contacts":
            listed = _list_args(query)
            if listed is None:
                return None
            q, limit, offset = listed
            return lambda user: self._contacts(user, q, limit, offset)
        matched = _STRENGTH.match(path)
        if matched and not query:
            contact_id = int(matched.group(1))
            if contact_id > MAX_ID:
                return None
            return lambda user: self._strength(user, contact_id)
        return None

    async def _me(self, user: UserInfo) -> Any:
        return user

    async def _today(self, user: UserInfo) -> Any:
        return await today.today_report(user, self.clock())

    async def _contacts(self, user: UserInfo, q: str | None, limit: int, offset: int) -> Any:
        items, total = await contacts.list_contacts(user.id, q=q, limit=limit, offset=offset)
        return ContactPage(items, total, limit, offset)

    async def _strength(self, user: UserInfo, contact_id: int) -> Any:
        report = await strength.strength_report(user, contact_id, self.clock())
        return msgspec.convert(report, StrengthOut)

    async def _feed(self, scope: Any, send: Callable[[Any], Awaitable[None]]) -> bool:
        """The calendar feed's GET (no cookie, no CSRF, no compression middleware: the route is
        excluded from all three), answered by the route's own `feed_answer`; an unknown token,
        a query, a repeated header the route reads, or any failure goes on to Litestar."""
        matched = _FEED.match(scope["path"])
        if matched is None or scope.get("query_string"):
            return False
        read: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in _FEED_READS:
                if name in read:
                    return False
                read[name] = value.decode("latin-1")
        at = self.clock()
        try:
            user_id, row = await feed.user_for_token(matched.group(1))
            rendered = await feed.rendered_feed(self.settings, user_id, at, self.feed_cache)
            status, named, body = feed_answer(
                rendered, read.get(b"accept-encoding", ""), read.get(b"if-none-match", ""), False
            )
        except Exception:
            return False
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in named.items()]
        if status != 304:  # Litestar sends no content type with a 304
            headers.append(_CALENDAR)
        present = {k for k, _ in headers}
        headers += [(k, v) for k, v in self.security_headers if k not in present]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        # The route's background task, run as Litestar runs it: after the answer was sent.
        await feed.record_fetch(row, read.get(b"user-agent"), at)
        return True

    async def answer(self, scope: Any, send: Callable[[Any], Awaitable[None]]) -> bool:
        if scope["method"] != "GET":
            return False
        if scope["path"].startswith("/feed/"):
            return await self._feed(scope, send)
        handler = self._handler(scope)
        if handler is None:
            return False
        cookies, accept_encoding = request_cookies(scope)
        session_id = cookies.get(SESSION_COOKIE)
        if not session_id or not cookies.get(CSRF_COOKIE):
            return False
        try:
            user = await self.signed_in(session_id)
            if user is None:
                return False
            body = _encode(await handler(user))
        except Exception:
            return False
        await self.send_json(send, 200, body, accept_encoding)
        return True

    async def signed_in(self, session_id: str) -> UserInfo | None:
        """The user the session names (the same store and decoding as Litestar's server-side
        session backend), or None: no such session, or no such user. May raise."""
        stored = await self.sessions().get(session_id)
        if stored is None:
            return None
        session = _decode_session(stored)
        return await user_of_session(session) if session else None

    async def send_json(
        self, send: Callable[[Any], Awaitable[None]], status: int, body: bytes, accept: bytes
    ) -> None:
        """A JSON answer as Litestar's response and compression middleware send it."""
        headers = [(b"content-type", b"application/json")]
        if len(body) >= self.gzip_minimum and b"gzip" in accept:
            packer = zlib.compressobj(self.gzip_level, zlib.DEFLATED, 31)
            body = packer.compress(body) + packer.flush()
            headers += [
                (b"content-length", str(len(body)).encode()),
                (b"content-encoding", b"gzip"),
                (b"vary", b"Accept-Encoding"),
            ]
        else:
            headers.append((b"content-length", str(len(body)).encode()))
        headers += self.security_headers
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def request_cookies(scope: Any) -> tuple[dict[str, str], bytes]:
    """(the cookies, the Accept-Encoding header): the Cookie headers joined as RFC 9113 section
    8.2.3 (HTTP/2 may split it) and Litestar both join them, with "; ", then Litestar's parser."""
    cookie_header = b""
    accept_encoding = b""
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookie_header = cookie_header + b"; " + value if cookie_header else value
        elif name == b"accept-encoding":
            accept_encoding = value
    if not cookie_header:
        return {}, accept_encoding
    return parse_cookie_string(cookie_header.decode("latin-1")), accept_encoding
