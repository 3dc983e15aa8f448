"""The calendar feed (no cookie, token in the path) and the PWA's subscription screen API."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from litestar import HttpMethod, Request, Response, get, post, route
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath

from api.routes.deps import current_user, now, settings
from api.schemas import FeedOut
from api.services import feed

FEED_HEADERS = {
    "Cache-Control": "private, max-age=3600",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Vary": "Accept-Encoding",
}


def _accepts_gzip(request: Request[Any, Any, Any]) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _etag_matches(request: Request[Any, Any, Any], etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags or etag[:-1] + '-gzip"' in tags


# Litestar path parameters must fill a whole segment (tech.md pitfall 4), and @get alone does not
# answer HEAD (pitfall 6), nor does Litestar do conditional requests: all done here by hand.
@route(
    "/feed/{token:str}/kith.ics",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    media_type="text/calendar",
    exclude_from_auth=True,
    exclude_from_csrf=True,
    skip_session=True,
    include_in_schema=False,
)
async def calendar_feed(token: FromPath[str], request: Request[Any, Any, Any]) -> Response[bytes]:
    at = now(request)
    user_id, row = await feed.user_for_token(token)
    rendered = await feed.rendered_feed(
        settings(request), user_id, at, request.app.state.feed_cache
    )
    # The bookkeeping runs after the answer was sent and never holds it up (it may meet a
    # writer's lock; see feed.record_fetch).
    record = BackgroundTask(feed.record_fetch, row, request.headers.get("user-agent"), at)
    gz = _accepts_gzip(request)
    # A strong ETag names exact bytes, so the gzip encoding gets its own.
    etag = rendered.etag[:-1] + '-gzip"' if gz else rendered.etag
    headers = {
        **FEED_HEADERS,
        "ETag": etag,
        "Last-Modified": format_datetime(rendered.last_modified, usegmt=True),
    }
    if _etag_matches(request, rendered.etag):
        return Response(
            b"", status_code=304, headers=headers, media_type="text/calendar", background=record
        )
    body = rendered.gzipped if gz else rendered.body
    if gz:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(body))
    if request.method == HttpMethod.HEAD:
        return Response(b"", headers=headers, media_type="text/calendar", background=record)
    return Response(body, headers=headers, media_type="text/calendar", background=record)


@get("/api/feed")
async def feed_info(request: Request[Any, Any, Any]) -> FeedOut:
    return await feed.feed_info(settings(request), current_user(request).id, now(request))


@post("/api/feed/rotate", status_code=200)
async def rotate_feed(request: Request[Any, Any, Any]) -> FeedOut:
    return await feed.rotate(settings(request), current_user(request).id, now(request))


@post("/api/feed/revoke", status_code=200)
async def revoke_feed(request: Request[Any, Any, Any]) -> dict[str, bool]:
    await feed.revoke(current_user(request).id, now(request))
    return {"ok": True}
