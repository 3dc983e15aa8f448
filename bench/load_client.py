"""The load test's clients: signed-in httpx clients that send the PWA's mix of requests and
note every status, latency and acknowledged write for the check afterwards."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bench.common import PASSWORD, Config
from bench.gen import FAMILY, KINDS

PROBES = 10  # requests of each kind from one client alone, before the load
# The server's SQLite busy timeout is 30 s: wait longer, so a request that fails on the lock
# comes back as the server's 5xx, not as a client timeout that hides it.
CLIENT_TIMEOUT = 75.0
# The mix a day of PWA use looks like: mostly reads, one write in four (% of requests).
MIX = (("today", 25), ("search", 25), ("feed", 25), ("log", 15), ("edit", 10))
SEARCH_TERMS = (*FAMILY, "Acme", "Globex", "ada", "ben", "kofi", "example.com")


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


def http_client(base: str, account: Account) -> httpx.AsyncClient:
    c = httpx.AsyncClient(
        base_url=base,
        timeout=CLIENT_TIMEOUT,
        limits=httpx.Limits(max_connections=1),
        cookies=account.cookies,
    )
    c.headers["x-csrftoken"] = account.cookies["csrftoken"]
    return c


async def _health_loop(c: httpx.AsyncClient, deadline: float, tally: Tally) -> None:
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            r = await c.get("/health")
            status = str(r.status_code)
        except httpx.HTTPError as exc:
            status = f"ERR:{type(exc).__name__}"
        tally.latency["health"].append((time.perf_counter() - start) * 1000)
        tally.statuses[status] += 1


@dataclass
class Client:
    """One signed-in client: its own connection, the contacts it alone edits, its own dice."""

    http: httpx.AsyncClient
    account: Account
    mine: list[int]
    name: str
    rng: random.Random
    etag: str | None = None
    seq: int = 0

    async def request(self, op: str, tally: Tally) -> None:
        self.seq += 1
        key = note = None
        rng, c = self.rng, self.http
        target = rng.choice(self.mine) if op == "edit" else rng.choice(self.account.contact_ids)
        start = time.perf_counter()
        try:
            if op == "today":
                r = await c.get("/api/today")
            elif op == "search":
                q = rng.choice(SEARCH_TERMS)
                r = await c.get("/api/contacts", params={"q": q, "limit": 20})
            elif op == "feed":
                # Calendar apps poll with the ETag they hold about half the time in this mix.
                use = self.etag and rng.random() < 0.5
                r = await c.get(
                    self.account.feed_path, headers={"If-None-Match": self.etag} if use else {}
                )
                self.etag = r.headers.get("etag", self.etag)
            elif op == "log":
                key = f"bench-{self.name}-{uuid.uuid4()}"
                body = {"kind": rng.choice(KINDS), "idempotency_key": key}
                r = await c.post(f"/api/contacts/{target}/interactions", json=body)
            else:
                note = f"bench {self.name} {self.seq} {uuid.uuid4().hex[:8]}"
                r = await c.patch(f"/api/contacts/{target}", json={"note": note})
            status = str(r.status_code)
            ok = r.is_success
        except httpx.HTTPError as exc:
            status, ok = f"ERR:{type(exc).__name__}", False
        tally.latency[op].append((time.perf_counter() - start) * 1000)
        tally.statuses[status] += 1
        tally.by_op[(op, status)] += 1
        if key is not None and ok:
            tally.acked_keys.add(key)
        if note is not None:
            tally.edits[target].append((note, ok))


async def _mixed_loop(client: Client, deadline: float, tally: Tally) -> None:
    ops, weights = zip(*MIX, strict=True)
    while time.perf_counter() < deadline:
        await client.request(client.rng.choices(ops, weights)[0], tally)


async def drive(
    cfg: Config, base: str, accounts: list[Account], label: str
) -> tuple[Tally, Tally, Tally]:
    """(unloaded probe, /health baseline, mixed load) as the clients saw them."""
    for account in accounts:
        await sign_in(base, account)
    rng = random.Random(cfg.seed + 11)
    clients = []
    for i in range(cfg.clients):
        account = accounts[i % len(accounts)]
        # The clients of one account split its contacts for edits, so that for each contact one
        # client sends every edit, in order: the last acknowledged note must be the stored one.
        sharing = len(range(i % len(accounts), cfg.clients, len(accounts)))
        rank = i // len(accounts)
        mine = account.contact_ids[rank::sharing] or account.contact_ids
        http = http_client(base, account)
        clients.append(Client(http, account, mine, f"{label}{i}", random.Random(rng.random())))
    try:
        # Service time of each operation with nobody else around: where a request's time goes
        # before queueing hides it.
        probe = Tally()
        for op, _ in MIX:
            for _ in range(PROBES):
                await clients[0].request(op, probe)
        health = Tally()
        deadline = time.perf_counter() + cfg.load_baseline_seconds
        start = time.perf_counter()
        await asyncio.gather(*(_health_loop(c.http, deadline, health) for c in clients))
        health.seconds = time.perf_counter() - start
        mixed = Tally()
        deadline = time.perf_counter() + cfg.load_seconds
        start = time.perf_counter()
        await asyncio.gather(*(_mixed_loop(c, deadline, mixed) for c in clients))
        mixed.seconds = time.perf_counter() - start
    finally:
        for c in clients:
            await c.http.aclose()
    return probe, health, mixed
