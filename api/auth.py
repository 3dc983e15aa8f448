"""Sign-in sessions: a server-side session in the database, a fresh id at every sign-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.security.session_auth import SessionAuth
from litestar.types import Empty

from api.errors import Forbidden, NotFound, UnsupportedMediaType
from api.services.users import UserInfo, get_user

SESSION_COOKIE = "kith_session"
ROTATE_KEY = "kith_rotate_session"
_NEW_ID_KEY = "kith_new_session_id"
_LOADED_KEY = "kith_session_loaded"
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"  # an IMF-fixdate (RFC 9110 section 5.6.7) in the past


class RotatingSessionBackend(ServerSideSessionBackend):
    """Issues a new session id when a handler asks (sign-in), so a planted id is never promoted."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        scope: Any = connection.scope
        if scope.get(ROTATE_KEY):
            if _NEW_ID_KEY not in scope:
                scope[_NEW_ID_KEY] = self.generate_session_id()
            return str(scope[_NEW_ID_KEY])
        return super().get_session_id(connection)

    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        scope: Any = connection.scope
        scope[_LOADED_KEY] = dict(data)
        return data

    async def store_in_message(
        self, scope_session: Any, message: Any, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        """Write the session only when it changed: every signed-in request rewriting its row
        would make each read a write, and SQLite serialises writers (tech.md pitfall 10)."""
        scope: Any = connection.scope
        unchanged = isinstance(scope_session, dict) and scope_session == scope.get(_LOADED_KEY)
        if unchanged and not scope.get(ROTATE_KEY):
            return
        if scope_session is Empty:
            await self._end(message, connection)
            return
        await super().store_in_message(scope_session, message, connection)

    async def _end(self, message: Any, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        """Sign-out: the row goes, and the cookie is expired at once (Max-Age=0 and an Expires
        in the past, RFC 6265 section 3.1). Litestar's own answer is `kith_session=null` with the
        session's 30-day Max-Age, which browsers keep (Max-Age wins over Expires)."""
        session_id = connection.cookies.get(self.config.key)
        if not session_id:
            return  # no cookie came in: none to expire
        await self.delete(session_id, store=self.config.get_store_from_app(connection.app))
        parts = [
            f"{self.config.key}=",
            "Max-Age=0",
            f"Expires={_EPOCH}",
            f"Path={self.config.path}",
        ]
        if self.config.domain:
            parts.append(f"Domain={self.config.domain}")
        if self.config.secure:
            parts.append("Secure")
        if self.config.httponly:
            parts.append("HttpOnly")
        parts.append(f"SameSite={self.config.samesite}")
        MutableScopeHeaders.from_message(message).add("Set-Cookie", "; ".join(parts))


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


async def retrieve_user(
    session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]
) -> UserInfo | None:
    return await user_of_session(session)


async def user_of_session(session: dict[str, Any]) -> UserInfo | None:
    """The account a loaded session names, or None (no user id in it, or no such account)."""
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    try:
        return await get_user(user_id)
    except NotFound:
        return None


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _origin(scheme: str, netloc: str) -> str:
    """`scheme://host[:port]` as RFC 6454 section 6.1 serialises it: lower case, no default port."""
    scheme, netloc = scheme.lower(), netloc.lower()
    host, _, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if host and port == _DEFAULT_PORTS.get(scheme):
        netloc = host
    return f"{scheme}://{netloc}"


def _allowed_origins(connection: ASGIConnection[Any, Any, Any, Any]) -> set[str]:
    """The public origin (KITH_BASE_URL, what a browser behind the reverse proxy sends) and the
    origin this request was addressed to (its scheme and Host, which a cross-site page cannot
    choose for the victim's browser)."""
    base = urlsplit(connection.app.state.settings.base_url)
    allowed = {_origin(base.scheme, base.netloc)}
    host = connection.headers.get("host")
    if host:
        allowed.add(_origin(connection.url.scheme, host))
    return allowed


def same_origin_json(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The guard of sign-in and first-run setup (sign-in has no CSRF token yet; every other
    write needs the double-submit token, see api/app.py): a page on another site must not sign
    the victim into the attacker's account (login CSRF).

    A cross-site page can POST a form or a `text/plain` body without a CORS preflight, but not
    `application/json` (Fetch standard, CORS-safelisted request headers), and Kith answers no
    preflight. Browsers also label requests with `Sec-Fetch-Site` and a cross-origin POST with
    `Origin` (RFC 6454 section 7), checked too in case a browser lets a JSON body through. A
    request with neither header is not from a page (curl, scripts, the tests): allowed.
    """
    headers = connection.headers
    site = (headers.get("sec-fetch-site") or "same-origin").lower()
    origin = headers.get("origin")
    if site not in {"same-origin", "none"} or (
        origin is not None and origin.lower() not in _allowed_origins(connection)
    ):
        raise Forbidden("cross-site request refused: use Kith's own pages")
    media = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType("send a JSON body (Content-Type: application/json)")


async def start_session(request: Request[Any, Any, Any], user_id: int) -> None:
    """Sign `user_id` in with a fresh session id, never one planted before (session fixation):
    the old session is deleted and the id rotated."""
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await request.app.stores.get("sessions").delete(old)
    request.scope[ROTATE_KEY] = True  # type: ignore[literal-required]
    request.set_session({"user_id": user_id})


PUBLIC_PATHS = [
    r"^/$",
    r"^/health$",
    r"^/schema",
    r"^/feed/",
    r"^/api/auth/login$",
    r"^/api/auth/setup$",
    r"^/api/auth/session$",
    r"^/(sw\.js|manifest\.webmanifest|offline\.html|index\.html|favicon\.ico|robots\.txt)$",
    r"^/(css|js|icons|img)/",
]


def session_auth(secure: bool) -> SessionAuth[UserInfo, ServerSideSessionBackend]:
    return SessionAuth[UserInfo, ServerSideSessionBackend](
        retrieve_user_handler=retrieve_user,
        session_backend_config=RotatingSessionConfig(
            secure=secure,
            samesite="lax",
            httponly=True,
            max_age=60 * 60 * 24 * 30,
            key=SESSION_COOKIE,
        ),
        exclude=PUBLIC_PATHS,
    )
