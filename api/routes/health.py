"""GET /health: is the database reachable and fully migrated; when did the nightly job last run."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from api.auth import retrieve_user
from api.schemas import PUBLIC_HEALTH_FIELDS, HealthOut
from api.services.health import health_report


@get("/health", exclude_from_csrf=True)
async def health(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    """Public, for load balancers and uptime checks: liveness, the database and migrations only.
    A signed-in caller also sees the rest (their own nightly runs); nothing here shows another
    user's activity. The public fields are listed once (PUBLIC_HEALTH_FIELDS), so whatever the
    report gains later stays behind the session unless it is added there."""
    user = await retrieve_user(request.session, request)
    report = await health_report(request.app.state.clock(), user.id if user else None)
    if user is None:
        report = HealthOut(**{name: getattr(report, name) for name in PUBLIC_HEALTH_FIELDS})
    return Response(report, status_code=200 if report.status == "ok" else 503)
