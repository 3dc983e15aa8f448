"""The health report: database reachable, migrations applied, nightly runs on time."""

from __future__ import annotations

import datetime as dt

from api import db
from api.schemas import HealthOut
from api.store import sources as store_sources


async def health_report(now: dt.datetime, user_id: int | None = None) -> HealthOut:
    """`user_id`: whose nightly runs to include (None: nobody's, for a stranger's /health)."""
    engine = "unknown"
    try:
        engine = db.engine_name()
        applied = set(await db.applied_migrations())
    except Exception as exc:  # the report must answer even when the database does not
        return HealthOut("error", f"unreachable: {type(exc).__name__}", engine, "unknown", [], {})
    pending = [m for m in db.known_migrations() if m not in applied]
    nightly = await nightly_status(now, user_id) if user_id is not None else None
    status = "ok" if not pending else "degraded"
    return HealthOut(
        status=status,
        database="reachable",
        engine=engine,
        migrations="current" if not pending else "pending",
        pending_migrations=pending,
        nightly=nightly,
    )


async def nightly_status(now: dt.datetime, user_id: int | None = None) -> dict[str, object]:
    """The last nightly run (any user for /health, one user for the API); it says so loudly
    when a run failed in the last day or the job is overdue."""
    latest = await store_sources.latest_nightly(user_id)
    if latest is None:
        return {"last_run": None, "status": "never run", "alert": None}
    started_at, status = latest
    failed = await store_sources.failed_nightly_since(user_id, now - dt.timedelta(days=1))
    overdue = started_at < now - dt.timedelta(hours=26)
    alert = None
    if failed:
        alert = "a nightly run failed in the last day"
    elif overdue:
        alert = "the nightly job is overdue (last run over 26 hours ago)"
    return {
        "last_run": started_at.isoformat(),
        "status": status,
        "failed_last_day": int(failed),
        "overdue": overdue,
        "alert": alert,
    }
