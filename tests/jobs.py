"""Running what an API call queued, on either engine, and polling its ImportRun to its end.

SQLite: the app runs its jobs in-process; waiting means waiting for them. PostgreSQL: nothing in
a test runs a worker, so a real queue worker runs here (no periodic tick) until the queue is
empty. Either way the client then polls `GET /api/imports/{id}` as the PWA does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from api.jobs.inprocess import InProcessJobs
from api.jobs.queue import run_worker

UNFINISHED = ("queued", "running")


def app_of(client: httpx.AsyncClient) -> Any:
    return client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test


async def run_jobs(app: Any) -> None:
    jobs = app.state.jobs
    if isinstance(jobs, InProcessJobs):
        await jobs.idle()
        return
    await run_worker(
        app.state.settings, app.state.clock, 1, signals=False, periodic=False, wait=False
    )


async def poll(
    client: httpx.AsyncClient, run_id: int, *, tries: int = 2000, pause: float = 0.01
) -> dict[str, Any]:
    """The run once it is no longer queued or running (the PWA's loop)."""
    for _ in range(tries):
        r = await client.get(f"/api/imports/{run_id}")
        assert r.status_code == 200, r.text
        report: dict[str, Any] = r.json()
        if report["status"] not in UNFINISHED:
            return report
        await asyncio.sleep(pause)
    raise AssertionError(f"import {run_id} is still {report['status']}")


async def accepted(client: httpx.AsyncClient, response: httpx.Response) -> dict[str, Any]:
    """A 202's run, after its job ran: what the client finds at the Location."""
    assert response.status_code == 202, response.text
    run = response.json()
    assert response.headers["location"] == f"/api/imports/{run['id']}"
    assert run["status"] in UNFINISHED, run
    await run_jobs(app_of(client))
    return await poll(client, run["id"])


async def run_now(client: httpx.AsyncClient, source_id: int) -> dict[str, Any]:
    """A source's "Run now", to its finished report."""
    return await accepted(client, await client.post(f"/api/sources/{source_id}/run"))
