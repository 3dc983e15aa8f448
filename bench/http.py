"""Issue 13: what one request costs, against the floor of this machine.

The floor is bench/trivial_app.py under the same uvicorn (same process model, no access log);
every figure here is requests/s from Debian's `wrk` (C, so the client is not the bottleneck)
with the same connections, against `kith serve` (SQLite, 1 worker) holding the demo account
(`kith demo`, a few hundred people and a year of interactions), signed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from api.services.demo import create_demo
from bench import wrk
from bench.common import (
    PASSWORD,
    PYTHON,
    ROOT,
    Config,
    Server,
    database,
    free_port,
    server_env,
    settings_for,
    sqlite_url,
)
from bench.results import Figure, Goal

EMAIL = "demo@bench.example"


@contextlib.contextmanager
def trivial_server(log_path: Path, workers: int = 1) -> Iterator[str]:
    """bench/trivial_app.py under uvicorn on a loopback port; stopped by its own pid."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    args = [PYTHON, "-m", "uvicorn", "bench.trivial_app:app", "--host", "127.0.0.1"]
    args += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    args += ["--no-access-log"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the trivial app exited: {log_path.read_text()[-1000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base, timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the trivial app did not answer within 60 s")
            time.sleep(0.1)
        time.sleep(0.3 * workers)  # every worker up, not only the first
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def floor(cfg: Config, work: Path, connections: int, workers: int = 1) -> wrk.WrkResult:
    with trivial_server(work / "logs" / f"trivial-{workers}w.log", workers) as base:
        wrk.run(base + "/", seconds=1, connections=connections)  # warm
        return wrk.run(base + "/", seconds=cfg.http_seconds, connections=connections)


async def _seed(url: str, data_dir: Path) -> None:
    async with database(settings_for(url, data_dir)):
        await create_demo(EMAIL, PASSWORD, dt.datetime.now(dt.UTC))


def _signed_in(base: str) -> tuple[dict[str, str], int, str, str]:
    """(headers of a signed-in client, a contact id, the feed path, the feed's ETag)."""
    with httpx.Client(base_url=base, timeout=30) as c:
        c.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD}).raise_for_status()
        c.get("/api/auth/me").raise_for_status()
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        headers = {"Cookie": cookie, "x-csrftoken": c.cookies["csrftoken"]}
        listed = c.get("/api/contacts", params={"limit": 50}).json()
        items = listed if isinstance(listed, list) else listed["items"]
        feed = urlsplit(c.get("/api/feed").json()["https_url"]).path
    etag = httpx.get(base + feed, timeout=30).headers["etag"]
    return headers, int(items[0]["id"]), feed, etag


# (figure, path, goal as a share of the trivial app's rate)
def _paths(contact: int, feed: str) -> list[tuple[str, str, float, bool]]:
    return [
        ("GET /manifest.webmanifest (a static file)", "/manifest.webmanifest", 0.5, False),
        ("GET /api/auth/me (signed in)", "/api/auth/me", 0.3, True),
        ("GET /health", "/health", 0.3, False),
        ("GET /api/today (demo account)", "/api/today", 0.2, True),
        ("GET /api/contacts?limit=50", "/api/contacts?limit=50", 0.1, True),
        ("GET /api/contacts/{id}/strength", f"/api/contacts/{contact}/strength", 0.1, True),
        ("feed 304 (If-None-Match)", feed, 0.2, False),
    ]


def run(cfg: Config, work: Path) -> list[Figure]:
    conns = cfg.http_connections
    base_rate = floor(cfg, work, conns)
    base_name = f"trivial ASGI app, same uvicorn, {conns} connections"
    print(f"  trivial app: {base_rate.rps:,.0f} req/s, p99 {base_rate.latency_ms.get(99)} ms")
    figures = [
        Figure(
            f"http: trivial ASGI app under uvicorn, {conns} connections (wrk)",
            base_rate.rps,
            "req/s",
            note="the floor of every http figure: bench/trivial_app.py, 1 uvicorn worker",
        )
    ]
    url = sqlite_url(work / "http.sqlite3")
    data_dir = work / "http-data"
    asyncio.run(_seed(url, data_dir))
    port = free_port()
    with Server(server_env(url, data_dir, port), work / "logs" / "http-serve.log") as server:
        headers, contact, feed, etag = _signed_in(server.base)
        for name, path, goal, signed in _paths(contact, feed):
            sent = dict(headers) if signed else {}
            if path == feed:
                sent["If-None-Match"] = etag
            wrk.run(server.base + path, seconds=1, connections=conns, headers=sent)  # warm
            got = wrk.run(
                server.base + path, seconds=cfg.http_seconds, connections=conns, headers=sent
            )
            bad = got.non_2xx_3xx + got.errors
            print(f"  {name}: {got.rps:,.0f} req/s, p99 {got.latency_ms.get(99)} ms, {bad} bad")
            figures.append(
                Figure(
                    f"http: {name}",
                    got.rps,
                    "req/s",
                    base_name,
                    base_rate.rps,
                    Goal.ratio_at_least(goal),
                    note=f"p50 {got.latency_ms.get(50)} ms, p99 {got.latency_ms.get(99)} ms; "
                    f"{got.requests:,} requests, {got.non_2xx_3xx} non-2xx/3xx, socket errors "
                    f"{got.socket_errors or 'none'}",
                )
            )
    return figures
