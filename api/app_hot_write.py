"""The two writes the PWA makes most (log an interaction, edit a contact), answered before
Litestar's stack when nothing about the request is unusual; anything else goes on to Litestar,
with the body it would have read, and is answered as it always was.

Why: under the load test's mix, Litestar's per-request machinery around these two routes (the
middleware stack, the router, reading and converting the body through the signature model, the
response object) was about 14% of the event loop's time, more than the writes themselves. This
module does the same steps directly (api/app_hot.py does so for the signed-in reads), for the
common case only:

- POST /api/contacts/{id}/interactions or PATCH /api/contacts/{id}, no query string, the id in
  the route's range;
- exactly one Content-Type, `application/json` with no parameters; exactly one Content-Length,
  at most the app's body limit; no Transfer-Encoding; a body of exactly that length;
- the CSRF check of Litestar's CSRF middleware, with the app's CSRF config and the middleware's
  own token comparison (`_csrf_tokens_match`): exactly one token header, the cookie present,
  both valid and equal. A path the config excludes goes on;
- a session that loads and names a user (api/app_hot.py's `signed_in`);
- a body msgspec decodes strictly into the route's input type. Litestar converts the decoded
  JSON leniently (`strict=False`); anything the strict decoding accepts, the lenient one
  accepts with the same value, and what only the lenient one accepts goes on to Litestar.

Going on to Litestar: once the body was read, `answer` returns a `receive` that replays the
messages read (in order, a disconnect included), then reads on from the server's; Litestar
reads the same body from it.

The rule that prevents a double write: each route is split at its one commit. The write step
(validation, then the service's write transaction) either raises before its transaction
committed (it rolls back on exception) or returns having committed. The request goes on to
Litestar only when the write step raised (a validation error, an unknown contact, a busy
database), so Litestar's own attempt is the first one to commit. Once the write step returned,
the request never goes on: what follows (reading the contact back, the schedule hook of an edit)
is answered here, a failure included, as Litestar's error mapping answers it (`{"error": ...}`
with the service error's status, else a logged 500), because the route would have failed the same
way after the same commit. The idempotency key of a log would make a second attempt a replay,
but a contact's edit has no such key: the rule is what makes the path safe, not the keys.

The answer is byte for byte Litestar's (same JSON encoder, headers in the same order, gzip at the
same level and threshold); tests/api/test_hot_paths.py compares the two on both engines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar.config.csrf import CSRFConfig
from litestar.middleware.csrf import CSRFMiddleware

from api.app_hot import HotPaths, request_cookies
from api.auth import SESSION_COOKIE
from api.errors import ServiceError
from api.routes.deps import MAX_ID
from api.routes.interactions import new_interaction
from api.schemas import ContactPatch, InteractionIn, LoggedOut, changes_of
from api.services import contacts, hooks, interactions
from api.services.users import UserInfo

Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
# The second step of a route: run after its write committed, it gives (status, answer).
Finish = Callable[[], Awaitable[tuple[int, Any]]]
_LOG = re.compile(r"^/api/contacts/([1-9][0-9]{0,9})/interactions$")
_CONTACT = re.compile(r"^/api/contacts/([1-9][0-9]{0,9})$")
_encode = msgspec.json.Encoder().encode
_decode_logged = msgspec.json.Decoder(InteractionIn).decode
_decode_patch = msgspec.json.Decoder(ContactPatch).decode
log = logging.getLogger("kith")  # api.app's logger: a 500 is logged where Litestar's is


async def _never(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("only the CSRF middleware's token comparison is used")


def _replay(messages: list[Any], receive: Receive) -> Receive:
    """A `receive` giving `messages` first, in order, then whatever the server sends next."""
    pending = list(messages)

    async def replayed() -> Any:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class HotWrites:
    """`await answer(scope, receive, send)` is None when the request was answered here, else
    the `receive` to hand Litestar."""

    def __init__(self, hot: HotPaths, csrf: CSRFConfig, max_body: int) -> None:
        self.hot = hot
        self.max_body = max_body
        self.csrf = CSRFMiddleware(_never, csrf)
        self.csrf_header = csrf.header_name.lower().encode("latin-1")
        self.csrf_cookie = csrf.cookie_name

    def _checked(self, scope: Any) -> tuple[str, str, int, bytes] | None:
        """(session id, path, body length, Accept-Encoding) of a request this module may answer,
        read from the headers alone; None when anything is unusual."""
        path = scope["path"]
        if scope.get("query_string") or (self.csrf.exclude and self.csrf.exclude.search(path)):
            return None
        seen: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in (b"content-type", b"content-length", self.csrf_header):
                if name in seen:
                    return None
                seen[name] = value
            elif name == b"transfer-encoding":
                return None
        length = seen.get(b"content-length", b"")
        token = seen.get(self.csrf_header)
        if seen.get(b"content-type") != b"application/json" or not length.isdigit() or not token:
            return None
        if int(length) > self.max_body:
            return None
        cookies, accept = request_cookies(scope)
        session_id, cookie = cookies.get(SESSION_COOKIE), cookies.get(self.csrf_cookie)
        if not session_id or not cookie:
            return None
        if not self.csrf._csrf_tokens_match(token.decode("latin-1"), cookie):
            return None  # Litestar's CSRF middleware answers 403
        return session_id, path, int(length), accept

    async def answer(self, scope: Any, receive: Receive, send: Send) -> Receive | None:
        method = scope["method"]
        route = _LOG if method == "POST" else _CONTACT if method == "PATCH" else None
        matched = route.match(scope["path"]) if route is not None else None
        checked = self._checked(scope) if matched is not None else None
        if matched is None or checked is None or int(matched.group(1)) > MAX_ID:
            return receive
        session_id, path, length, accept = checked
        contact_id = int(matched.group(1))
        messages: list[Any] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return _replay(messages, receive)  # a disconnect: Litestar handles it
            body += message.get("body", b"")
            if len(body) > length or not message.get("more_body", False):
                break
        if len(body) != length:
            return _replay(messages, receive)
        try:
            user = await self.hot.signed_in(session_id)
            if user is None:
                return _replay(messages, receive)
            if method == "POST":
                finish = await self._log(user, contact_id, body)
            else:
                finish = await self._edit(user, contact_id, body)
        except Exception:
            return _replay(messages, receive)  # nothing was committed: Litestar starts afresh
        # Committed: from here on the request is answered here whatever happens.
        try:
            status, out = await finish()
            payload = _encode(out)
        except ServiceError as exc:
            status, payload = exc.status_code, _encode({"error": exc.message})
        except Exception:
            log.exception("unhandled error on %s %s", method, path)
            status = 500
            payload = _encode({"error": "internal error; the details are in the server log"})
        await self.hot.send_json(send, status, payload, accept)
        return None

    async def _log(self, user: UserInfo, contact_id: int, body: bytes) -> Finish:
        """The log route's write (api/routes/interactions.py log_interaction); returns its rest."""
        data = _decode_logged(body)
        at_now = self.hot.clock()
        item = new_interaction(user, at_now, data)
        info, replayed = await interactions.record_interaction(user, contact_id, item, at_now)

        async def finish() -> tuple[int, Any]:
            contact = await contacts.get_contact(user.id, contact_id)
            return (200 if replayed else 201), LoggedOut(info, contact, replayed)

        return finish

    async def _edit(self, user: UserInfo, contact_id: int, body: bytes) -> Finish:
        """The edit route's write (api/routes/contacts.py update_contact); returns its rest."""
        data = _decode_patch(body)
        at_now = self.hot.clock()
        info, schedule_changed = await contacts.update_contact(
            user.id, user.region, contact_id, changes_of(data), at_now
        )

        async def finish() -> tuple[int, Any]:
            if not schedule_changed:
                return 200, info
            await hooks.contact_schedule_changed(user, contact_id, self.hot.clock())
            return 200, await contacts.get_contact(user.id, contact_id)

        return finish
