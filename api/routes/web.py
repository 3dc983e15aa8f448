"""The service worker and the web app manifest, served at the root with the headers browsers want.

The static router at `/` serves everything else under web/. These two get their own handlers:
`/sw.js` must never be served stale (a cached worker delays every update) and says its scope is
the whole origin; the manifest needs its registered media type. Both are small and asked for on
every page load (no-cache revalidates), so they are answered from memory: the bytes are read
again only when the file's mtime changes, and a matching If-None-Match gets a 304.

Their GETs are answered before Litestar's middleware (`memory_answer`, called by the app's
`__call__` in api/app.py): none of it applies to them (no session, no sign-in, no CSRF), and the
stack costs more than the answer itself. The answer is the one the handlers below give through
that stack, byte for byte in its headers: the security headers, and gzip above the compression
threshold when the client accepts it (same ETag, `Vary: Accept-Encoding`). Any other method
(HEAD: 405) still goes through Litestar.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Sequence
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

Header = tuple[bytes, bytes]
# path -> (file name, content type, the handler's own headers)
_MEMORY: dict[str, tuple[str, bytes, tuple[Header, ...]]] = {
    "/sw.js": (
        "sw.js",
        b"text/javascript; charset=utf-8",
        ((b"service-worker-allowed", b"/"), (b"cache-control", b"no-cache")),
    ),
    "/manifest.webmanifest": (
        "manifest.webmanifest",
        b"application/manifest+json",
        ((b"cache-control", b"no-cache"),),
    ),
}
# (path, mtime_ns) -> (identity body, gzipped body or None, ETag)
_PACKED: dict[str, tuple[int, bytes, bytes | None, bytes]] = {}


def memory_answer(
    scope: Any, added: Sequence[Header], gzip_level: int, gzip_minimum: int
) -> tuple[int, list[Header], bytes] | None:
    """(status, headers, body) for a GET of /sw.js or the manifest; None for anything else.
    `added`: the headers every answer carries (the app's security headers)."""
    if scope.get("method") != "GET" or scope.get("path") not in _MEMORY:
        return None
    name, media, own = _MEMORY[scope["path"]]
    path = WEB_DIR / name
    mtime = path.stat().st_mtime_ns
    held = _PACKED.get(name)
    if held is None or held[0] != mtime:
        read, tag = _asset(path)
        small = len(read) < gzip_minimum
        held = (
            mtime,
            read,
            None if small else gzip.compress(read, gzip_level, mtime=0),
            tag.encode(),
        )
        _PACKED[name] = held
    _, body, packed, etag = held
    inm = b""
    accept = b""
    for key, value in scope.get("headers") or ():
        if key == b"if-none-match":
            inm = value
        elif key == b"accept-encoding":
            accept = value
    headers: list[Header] = [*own, (b"etag", etag)]
    if etag in {t.strip() for t in inm.split(b",")}:
        return 304, [*headers, *added], b""
    headers.append((b"content-type", media))
    if packed is not None and b"gzip" in accept:
        headers += [
            (b"content-length", str(len(packed)).encode()),
            (b"content-encoding", b"gzip"),
            (b"vary", b"Accept-Encoding"),
        ]
        return 200, [*headers, *added], packed
    headers.append((b"content-length", str(len(body)).encode()))
    return 200, [*headers, *added], body
