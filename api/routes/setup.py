"""First run and the session probe: both answer signed-out pages without a 401.

`POST /api/auth/setup` is CSRF-protected like every write (the page reads the token cookie that
any GET sets, e.g. the session probe) and takes JSON from this origin only.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery, JSONBody

from api.auth import retrieve_user, same_origin_json, start_session
from api.routes.deps import current_user, settings
from api.schemas import GuideOut, MeOut, SessionOut, SetupIn, SetupStatusOut
from api.services import setup as first_run

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


@post("/api/auth/setup", status_code=201, guards=[same_origin_json])
async def setup(data: JSONBody[SetupIn], request: Request[Any, Any, Any]) -> MeOut:
    user = await first_run.create_first_account(
        settings(request),
        code=data.code,
        email=data.email,
        password=data.password,
        timezone=data.timezone,
        region=data.region,
    )
    await start_session(request, user.id)
    return user


@get("/api/guide")
async def guide(request: Request[Any, Any, Any]) -> Response[GuideOut]:
    # Not kept offline either: the guide is no use without the network, and a kept copy served
    # on a slow answer would make the page say "Offline".
    return Response(await first_run.guide_progress(current_user(request).id), headers=NOT_KEPT)
