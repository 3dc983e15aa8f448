"""GET /health: is the database reachable and fully migrated; when did the nightly job last run."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from api.schemas import HealthOut
from api.services.health import health_report


@get("/health", skip_session=True, exclude_from_csrf=True)
async def health(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    report = await health_report(request.app.state.clock())
    return Response(report, status_code=200 if report.status == "ok" else 503)
