"""GET /health: is the database reachable and fully migrated; when did the nightly job last run."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from api.schemas import HealthOut


@get("/health", skip_session=True, exclude_from_csrf=True)
async def health(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    """Answered from the process's health state (api/services/health_state.py), no query."""
    report = await request.app.state.health.report(request.app.state.clock())
    return Response(report, status_code=200 if report.status == "ok" else 503)
