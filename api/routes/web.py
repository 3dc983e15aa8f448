"""The service worker and the web app manifest, served at the root with the headers browsers want.

The static router at `/` serves everything else under web/. These two get their own handlers:
`/sw.js` must never be served stale (a cached worker delays every update) and says its scope is
the whole origin; the manifest needs its registered media type. Both are small and asked for on
every page load (no-cache revalidates), so they are answered from memory: the bytes are read
again only when the file's mtime changes, and a matching If-None-Match gets a 304.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from litestar import Request, Response, get

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"

_HELD: dict[Path, tuple[int, bytes, str]] = {}  # path -> (mtime_ns, bytes, ETag)


def _asset(path: Path) -> tuple[bytes, str]:
    mtime = path.stat().st_mtime_ns
    held = _HELD.get(path)
    if held is None or held[0] != mtime:
        body = path.read_bytes()
        held = (mtime, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        _HELD[path] = held
    return held[1], held[2]


def _serve(
    request: Request[Any, Any, Any], name: str, media_type: str, headers: dict[str, str]
) -> Response[bytes]:
    body, etag = _asset(WEB_DIR / name)
    headers = {**headers, "ETag": etag}
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=304, headers=headers, media_type=media_type)
    return Response(body, headers=headers, media_type=media_type)


@get(
    "/sw.js",
    include_in_schema=False,
    skip_session=True,
    exclude_from_csrf=True,
)
async def service_worker(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _serve(
        request,
        "sw.js",
        "text/javascript",
        {"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@get(
    "/manifest.webmanifest",
    include_in_schema=False,
    skip_session=True,
    exclude_from_csrf=True,
)
async def manifest(request: Request[Any, Any, Any]) -> Response[bytes]:
    return _serve(
        request, "manifest.webmanifest", "application/manifest+json", {"Cache-Control": "no-cache"}
    )


ROUTES = [service_worker, manifest]
