"""First run and the session probe: both answer signed-out pages without a 401.

`POST /api/auth/setup` is CSRF-protected like every write (the page reads the token cookie that
any GET sets, e.g. the session probe) and takes JSON from this origin only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery, JSONBody

from api.auth import ROTATE_KEY, retrieve_user
from api.routes.deps import current_user, settings
from api.schemas import GuideOut, MeOut, SessionOut, SetupIn, SetupStatusOut
from api.services import setup as first_run


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def json_from_this_origin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """A guard (it runs before the body is read): 415 for a body that is not JSON, 403 when the
    browser says the request comes from another site (Origin, RFC 6454 section 7; Sec-Fetch-Site)."""
    media = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise HTTPException(status_code=415, detail="send the form as application/json")
    origin = connection.headers.get("origin")
    base_url: str = connection.app.state.settings.base_url
    own = {_origin(str(connection.base_url)), _origin(base_url)}
    if origin is not None and origin.lower() not in own:
        raise PermissionDeniedException(detail="cross-site request refused")
    if connection.headers.get("sec-fetch-site", "same-origin") not in {"same-origin", "none"}:
        raise PermissionDeniedException(detail="cross-site request refused")


# What a signed-out visitor is told is never kept by the service worker; "signed out" also tells
# it to drop the answers it kept for the last user, as a 401 does (web/sw.js).
NOT_KEPT = {"Cache-Control": "no-store"}
SIGNED_OUT = {**NOT_KEPT, "x-kith-signed-out": "1"}


@get("/api/auth/session")
async def session_probe(request: Request[Any, Any, Any]) -> Response[SessionOut]:
    user = await retrieve_user(request.session, request)
    if user is None:
        return Response(SessionOut(signed_in=False), headers=SIGNED_OUT)
    return Response(SessionOut(signed_in=True, user=user))


@get("/api/auth/setup")
async def setup_status(
    request: Request[Any, Any, Any], code: FromQuery[str | None] = None
) -> Response[SetupStatusOut]:
    return Response(await first_run.status(settings(request), code), headers=NOT_KEPT)


@post("/api/auth/setup", status_code=201, guards=[json_from_this_origin])
async def setup(data: JSONBody[SetupIn], request: Request[Any, Any, Any]) -> MeOut:
    user = await first_run.create_first_account(
        settings(request),
        code=data.code,
        email=data.email,
        password=data.password,
        timezone=data.timezone,
        region=data.region,
    )
    # Signed in as at /api/auth/login: a fresh session id, never a planted one.
    old = request.cookies.get("kith_session")
    if old:
        await request.app.stores.get("sessions").delete(old)
    request.scope[ROTATE_KEY] = True  # type: ignore[literal-required]
    request.set_session({"user_id": user.id})
    return user


@get("/api/guide")
async def guide(request: Request[Any, Any, Any]) -> Response[GuideOut]:
    # Not kept offline either: the guide is no use without the network, and a kept copy served
    # on a slow answer would make the page say "Offline".
    return Response(await first_run.guide_progress(current_user(request).id), headers=NOT_KEPT)
