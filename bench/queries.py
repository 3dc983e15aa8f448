"""Issue 13: queries per request on the hot paths, for a book of 10 and a book of 5,000.

Counted by the storage layer's test-only counter (api/db/query_count.py) around one request
through the app in this process (httpx's ASGI transport, SQLite), each path warmed once first.
The value is the count at 5,000 contacts, the baseline the count at 10: the goal is equality.
tests/api/test_query_counts.py asserts the same on both engines.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from api.db import query_count
from api.services.strength import refresh_user
from bench.common import PASSWORD, Config, database, settings_for, sqlite_url
from bench.gen import add_contacts, add_interactions, circle_ids, new_user, pick_circles
from bench.results import Figure, Goal


async def _book(email: str, size: int, now: dt.datetime) -> None:
    rng = random.Random(size)
    user = await new_user(email)
    circles = await circle_ids(user.id)
    places = [circles.get(n) if n else None for n in pick_circles(size, rng)]
    ids = await add_contacts(user.id, places, rng, now, tag=f"q{size}c")
    await add_interactions(user.id, ids, rng, now, per_contact=(1, 4))
    await refresh_user(user, now)


async def _counts(app: Any, email: str) -> dict[str, int]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    counts: dict[str, int] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
        r = await c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        await c.get("/api/auth/me")
        c.headers["x-csrftoken"] = c.cookies["csrftoken"]
        listed = (await c.get("/api/contacts", params={"limit": 50})).json()
        contact = (listed if isinstance(listed, list) else listed["items"])[0]["id"]
        # Logging an interaction sends 7 to 9 statements by the contact's own state (whether
        # it then falls due inside the horizon): each book logs on a new contact made alike, so
        # that only the book's size differs between the two counts.
        made = await c.post("/api/contacts", json={"full_name": "Query Count"})
        made.raise_for_status()
        fresh = made.json()["id"]
        feed = "/" + (await c.get("/api/feed")).json()["https_url"].split("/", 3)[3]
        etag = (await c.get(feed)).headers["etag"]
        paths: list[tuple[str, str, str, dict[str, Any]]] = [
            ("session + user (GET /api/auth/me)", "GET", "/api/auth/me", {}),
            ("GET /api/today", "GET", "/api/today", {}),
            ("GET /api/contacts?limit=50", "GET", "/api/contacts", {"params": {"limit": 50}}),
            ("GET /api/contacts/{id}/strength", "GET", f"/api/contacts/{contact}/strength", {}),
            ("feed fingerprint (feed 304)", "GET", feed, {"headers": {"if-none-match": etag}}),
            (
                "record an interaction",
                "POST",
                f"/api/contacts/{fresh}/interactions",
                {"json": {"kind": "coffee"}},
            ),
            ("GET /health", "GET", "/health", {}),
        ]
        for name, method, url, kwargs in paths:
            await c.request(method, url, **kwargs)
            with query_count.counting() as counter:
                r = await c.request(method, url, **kwargs)
            assert r.status_code < 400, (name, r.status_code, r.text[:300])
            counts[name] = counter.count
    return counts


async def _measure(cfg: Config, work: Path) -> tuple[dict[str, int], dict[str, int]]:
    settings = settings_for(sqlite_url(work / "queries.sqlite3"), work / "queries-data")
    now = dt.datetime.now(dt.UTC)
    async with database(settings):
        await _book("small@bench.example", cfg.query_small, now)
        await _book("large@bench.example", cfg.query_large, now)
        app = create_app(settings, migrate_on_start=False, start_scheduler=False)
        small = await _counts(app, "small@bench.example")
        large = await _counts(app, "large@bench.example")
        # No lifespan runs here: wait for a /health refresh in flight before the pool closes.
        await app.state.health.close()
    return small, large


def run(cfg: Config, work: Path) -> list[Figure]:
    small, large = asyncio.run(_measure(cfg, work))
    figures = []
    for name, count in large.items():
        print(f"  {name}: {count} queries at {cfg.query_large:,}, {small[name]} at 10", flush=True)
        figures.append(
            Figure(
                f"queries: {name}",
                float(count),
                "queries",
                f"the same request, book of {cfg.query_small} contacts",
                float(small[name]),  # 0 for /health: no ratio then, the goal still holds
                Goal(
                    "the same count for both books",
                    lambda v, r, n=small[name]: v == n,
                    {"op": "==", "ratio": 1.0},
                ),
                note=f"{count} queries with {cfg.query_large:,} contacts, {small[name]} with "
                f"{cfg.query_small} (sqlite, counted by api.db.query_count)",
            )
        )
    return figures
