"""The load test's accounts: signing in once per account (the wrk connections share the session)
and the tally of what came back, for the lost-writes check afterwards."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bench.common import PASSWORD

# The mix a day of PWA use looks like: mostly reads, one write in four (% of requests);
# bench/mixed.lua draws it.
MIX = (("today", 25), ("search", 25), ("feed", 25), ("log", 15), ("edit", 10))


@dataclass
class Account:
    email: str
    contact_ids: list[int]
    cookies: dict[str, str] = field(default_factory=dict)
    feed_path: str = ""


@dataclass
class Tally:
    """What the clients saw, and every write they attempted, for the check afterwards."""

    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    by_op: Counter[tuple[str, str]] = field(default_factory=Counter)
    acked_keys: set[str] = field(default_factory=set)
    # contact id -> [(note, acknowledged)] in the order one client sent them
    edits: dict[int, list[tuple[str, bool]]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    def all_latencies(self) -> list[float]:
        return [x for values in self.latency.values() for x in values]


async def sign_in(base: str, account: Account) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        r = await c.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
        r.raise_for_status()
        await c.get("/api/auth/me")  # sets the csrftoken cookie
        r = await c.get("/api/feed", headers={"x-csrftoken": c.cookies["csrftoken"]})
        r.raise_for_status()
        account.feed_path = urlsplit(r.json()["https_url"]).path
        account.cookies = {k: v for k, v in c.cookies.items()}
