"""The service worker and the web app manifest, served at the root with the headers browsers want.

The static router at `/` serves everything else under web/. These two get their own handlers:
`/sw.js` must never be served stale (a cached worker delays every update) and says its scope is
the whole origin; the manifest needs its registered media type.
"""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.response import File

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"


@get(
    "/sw.js",
    include_in_schema=False,
    skip_session=True,
    exclude_from_csrf=True,
)
async def service_worker() -> File:
    return File(
        WEB_DIR / "sw.js",
        media_type="text/javascript",
        content_disposition_type="inline",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@get(
    "/manifest.webmanifest",
    include_in_schema=False,
    skip_session=True,
    exclude_from_csrf=True,
)
async def manifest() -> File:
    return File(
        WEB_DIR / "manifest.webmanifest",
        media_type="application/manifest+json",
        content_disposition_type="inline",
        headers={"Cache-Control": "no-cache"},
    )


ROUTES = [service_worker, manifest]
