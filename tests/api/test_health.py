"""GET /health, the OpenAPI schema and security headers."""

from __future__ import annotations


async def test_health_reports_the_engine_and_current_migrations(client, clean_db):
    r = await client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == "reachable"
    assert body["engine"] == clean_db.engine
    assert body["migrations"] == "current" and body["pending_migrations"] == []
    assert "set-cookie" not in r.headers


async def test_openapi_schema_is_served(client):
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    assert "/api/contacts" in r.json()["paths"]


async def test_responses_carry_security_headers(client):
    r = await client.get("/health")
    csp = r.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


async def test_health_answers_from_the_process_state_without_a_query(client):
    from api.db import query_count

    assert (await client.get("/health")).status_code == 200  # the first report is built
    with query_count.counting() as counter:
        for _ in range(5):
            assert (await client.get("/health")).json()["database"] == "reachable"
    assert counter.statements == []


async def test_a_stale_health_report_is_served_once_more_while_it_refreshes_in_the_background():
    import asyncio
    import datetime as dt

    from api.schemas import HealthOut
    from api.services.health_state import HealthState

    built: list[str] = []

    async def compute(now: dt.datetime) -> HealthOut:
        built.append(f"report {len(built) + 1}")
        return HealthOut("ok", built[-1], "sqlite", "current", [], {})

    state = HealthState(compute, max_age=0)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert (await state.report(now)).database == "report 1"
    assert (await state.report(now)).database == "report 1", "the caller never waits"
    while len(built) < 2:
        await asyncio.sleep(0)
    await state.close()
    assert (await state.report(now)).database == "report 2"
    await state.close()
