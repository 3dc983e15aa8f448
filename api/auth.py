"""Sign-in sessions: a server-side session in the database, a fresh id at every sign-in."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.security.session_auth import SessionAuth

from api.errors import NotFound
from api.services.users import UserInfo, get_user

ROTATE_KEY = "kith_rotate_session"
_NEW_ID_KEY = "kith_new_session_id"
_LOADED_KEY = "kith_session_loaded"


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
        await super().store_in_message(scope_session, message, connection)


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


async def retrieve_user(
    session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]
) -> UserInfo | None:
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    try:
        return await get_user(user_id)
    except NotFound:
        return None


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
            key="kith_session",
        ),
        exclude=PUBLIC_PATHS,
    )
