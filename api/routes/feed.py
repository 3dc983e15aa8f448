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


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 section 13.1.2: If-None-Match compares weakly; either encoding's tag matches."""
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags or etag[:-1] + '-gzip"' in tags


def feed_answer(
    rendered: feed.RenderedFeed, accept_encoding: str, if_none_match: str, head: bool
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a feed request; the route and api/app_hot.py both answer it."""
    gz = "gzip" in accept_encoding.lower()
    # A strong ETag names exact bytes, so the gzip encoding gets its own.
    etag = rendered.etag[:-1] + '-gzip"' if gz else rendered.etag
    headers = {
        **FEED_HEADERS,
        "ETag": etag,
        "Last-Modified": format_datetime(rendered.last_modified, usegmt=True),
    }
    if etag_matches(if_none_match, rendered.etag):
        return 304, headers, b""
    body = rendered.gzipped if gz else rendered.body
    if gz:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Length"] = str(len(body))
    return 200, headers, b"" if head else body


# Litestar path parameters must fill a whole segment (tech.md pitfall 4), and @get alone does not
# answer HEAD (pitfall 6), nor does Litestar do conditional requests: all done here by hand.
# A plain GET is usually answered before Litestar's stack (api/app_hot.py), the same way.
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
    status, headers, body = feed_answer(
        rendered,
        request.headers.get("accept-encoding", ""),
        request.headers.get("if-none-match", ""),
        request.method == HttpMethod.HEAD,
    )
    return Response(
        body, status_code=status, headers=headers, media_type="text/calendar", background=record
    )


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
