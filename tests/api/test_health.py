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
