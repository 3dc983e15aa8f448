"""Sign in, sign out, the current account and its settings."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import JSONBody

from api.auth import same_origin_json, start_session
from api.errors import NotAuthenticated, TooManyRequests
from api.routes.deps import current_user
from api.schemas import LoginIn, MeOut, SettingsPatch, changes_of
from api.services import users


@post("/api/auth/login", status_code=200, guards=[same_origin_json])
async def login(data: JSONBody[LoginIn], request: Request[Any, Any, Any]) -> MeOut:
    """Counted before it is verified (security.LoginThrottle), so concurrent guesses cannot all
    slip under the limit. The address is the peer's, or the one a trusted proxy forwarded
    (`kith serve --forwarded-allow-ips`)."""
    throttle = request.app.state.login_throttle
    account = users.account_key(data.email)
    address = request.client.host if request.client else "unknown"
    wait = throttle.attempt(account, address)
    if wait:
        raise TooManyRequests(
            f"too many failed sign-ins; try again in {wait} seconds", retry_after=wait
        )
    user = await users.authenticate(data.email, data.password)
    if user is None:
        raise NotAuthenticated("wrong email or password")
    throttle.succeeded(account, address)
    await start_session(request, user.id)
    return user


@post("/api/auth/logout", status_code=200)
async def logout(request: Request[Any, Any, Any]) -> Response[dict[str, bool]]:
    request.clear_session()
    return Response({"ok": True})


@get("/api/auth/me")
async def me(request: Request[Any, Any, Any]) -> MeOut:
    return current_user(request)


@patch("/api/settings")
async def update_settings(data: JSONBody[SettingsPatch], request: Request[Any, Any, Any]) -> MeOut:
    return await users.update_settings(current_user(request).id, changes_of(data))
