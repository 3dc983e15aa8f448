"""Issue 5: feed requests per second (full renders and 304 answers) against GET /health, both
served by the same `kith serve` process in the same run, for a user with 500 reminders."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from api.db.tables import Interaction, Reminder
from api.services import feed
from api.services.strength import PLANNED, refresh_user
from bench.common import (
    Config,
    Server,
    database,
    free_port,
    server_env,
    settings_for,
    sqlite_url,
)
from bench.gen import add_contacts, circle_ids, due_soon_interactions, new_user
from bench.results import Figure, Goal


@dataclass
class Rate:
    count: int = 0
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    body_bytes: int = 0

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


async def hammer(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    seconds: float,
    concurrency: int,
    into: Rate,
) -> None:
    """`concurrency` loops sending the same request back to back for `seconds`.

    Bodies are drained raw (not decompressed): the client should cost as little CPU as it can,
    since it shares the machine with the server.
    """
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            async with client.stream("GET", path, headers=headers) as r:
                async for chunk in r.aiter_raw():
                    into.body_bytes += len(chunk)
            into.count += 1
            into.statuses[str(r.status_code)] += 1

    start = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    into.seconds += time.perf_counter() - start


async def _setup(cfg: Config, url: str, work: Path, base_url: str) -> tuple[str, int, float]:
    """A user whose feed carries `cfg.reminders` reminders: (feed path, reminders, ms to render
    it once without the server's cache)."""
    rng = random.Random(cfg.seed)
    now = dt.datetime.now(dt.UTC)
    settings = settings_for(url, work / "feed-data", base_url=base_url)
    async with database(settings):
        # Caps high enough that every due contact gets a day inside the 90-day horizon.
        user = await new_user("feed@bench.example", per_day_cap=50, per_week_cap=200)
        friends = (await circle_ids(user.id))["Friends"]
        ids = await add_contacts(user.id, [friends] * cfg.reminders, rng, now, tag="f")
        rows = [
            Interaction(
                user=user.id, contact=cid, kind="coffee", at=at, source="bench", created_at=at
            )
            for cid, at in due_soon_interactions(ids, rng, now)
        ]
        for i in range(0, len(rows), 500):
            await Interaction.insert(*rows[i : i + 500]).run()
        await refresh_user(user, now)
        today = now.date()
        count = await Reminder.count().where(
            (Reminder.user == user.id)
            & (Reminder.state == PLANNED)
            & (Reminder.day >= today - dt.timedelta(days=7))
            & (Reminder.day <= today + dt.timedelta(days=90))
        )
        info = await feed.feed_info(settings, user.id, now)
        # The server caches the rendered body per data fingerprint; time one render without it
        # (an empty cache of our own).
        start = time.perf_counter()
        await feed.rendered_feed(settings, user.id, now, {})
        render_ms = (time.perf_counter() - start) * 1000
    return urlsplit(info.https_url).path, int(count), render_ms


def run(cfg: Config, work: Path) -> list[Figure]:
    port = free_port()
    url = sqlite_url(work / "feed.sqlite3")
    feed_path, reminders, render_ms = asyncio.run(
        _setup(cfg, url, work, f"http://127.0.0.1:{port}")
    )
    env = server_env(url, work / "feed-data", port)
    with Server(env, work / "logs" / "feed-serve.log") as server:
        rates = asyncio.run(_measure(cfg, server.base, feed_path))
    health, full, not_modified = rates["health"], rates["full"], rates["304"]
    print(
        f"  {reminders} reminders; /health {health.per_second:.0f}/s, full {full.per_second:.0f}/s,"
        f" 304 {not_modified.per_second:.0f}/s",
        flush=True,
    )
    expected = {"health": "200", "full": "200", "304": "304"}
    wrong = {k: dict(r.statuses) for k, r in rates.items() if set(r.statuses) - {expected[k]}}
    how = (
        f"{cfg.feed_concurrency} keep-alive connections, {cfg.feed_rounds} rounds of "
        f"{cfg.feed_seconds:g} s per kind, interleaved, 1 worker on SQLite"
    )
    size = full.body_bytes / max(1, full.count)
    return [
        Figure(
            f"feed: full renders (200, gzip body) for a user with {reminders} reminders",
            full.per_second,
            "req/s",
            "GET /health, same process",
            health.per_second,
            None,
            note=f"{how}; body {size / 1000:.1f} kB gzipped; statuses {dict(full.statuses)}; "
            "the server caches the rendered body per data fingerprint, so this is answering "
            f"with the body, not rendering it: one uncached render took {render_ms:.0f} ms "
            "in-process (rendered_feed)" + (f"; UNEXPECTED statuses {wrong}" if wrong else ""),
        ),
        Figure(
            "feed: 304 answers (If-None-Match) for the same feed",
            not_modified.per_second,
            "req/s",
            "GET /health, same process",
            health.per_second,
            Goal.ratio_at_least(0.7),
            note=f"{how}; statuses {dict(not_modified.statuses)}"
            + (f"; UNEXPECTED statuses {wrong}" if wrong else ""),
        ),
    ]


async def _measure(cfg: Config, base: str, feed_path: str) -> dict[str, Rate]:
    limits = httpx.Limits(max_connections=cfg.feed_concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        first = await client.get(feed_path)
        first.raise_for_status()
        etag = first.headers["etag"].replace('-gzip"', '"')
        plans = {
            "health": ("/health", {}),
            "full": (feed_path, {"Accept-Encoding": "gzip"}),
            "304": (feed_path, {"Accept-Encoding": "gzip", "If-None-Match": etag}),
        }
        rates = {name: Rate() for name in plans}
        await hammer(client, "/health", {}, 0.5, cfg.feed_concurrency, Rate())  # warm-up
        for _ in range(cfg.feed_rounds):
            for name, (path, headers) in plans.items():
                await hammer(
                    client, path, headers, cfg.feed_seconds, cfg.feed_concurrency, rates[name]
                )
    return rates
