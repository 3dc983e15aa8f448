"""GET /health: is the database reachable and fully migrated; when did the nightly job last run."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get

from api.auth import retrieve_user
from api.schemas import PUBLIC_HEALTH_FIELDS, HealthOut
from api.services.health import nightly_status


@get("/health", exclude_from_csrf=True)
async def health(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    """Public, for load balancers and uptime checks: liveness, the database and migrations,
    answered from the process's health state (api/services/health_state.py), no query. A
    signed-in caller also sees their own nightly runs and the queue; nothing here shows another
    user's activity. The public fields are listed once (PUBLIC_HEALTH_FIELDS), so whatever the
    report gains later stays behind the session unless it is added there."""
    now = request.app.state.clock()
    held = await request.app.state.health.report(now)
    report = HealthOut(**{name: getattr(held, name) for name in PUBLIC_HEALTH_FIELDS})
    user = await retrieve_user(request.session, request)
    if user is not None and held.database == "reachable":
        report = msgspec.structs.replace(report, nightly=await nightly_status(now, user.id))
    return Response(report, status_code=200 if report.status == "ok" else 503)
