"""The health report: database reachable, migrations applied, nightly runs on time."""

from __future__ import annotations

import datetime as dt

from api import db
from api.schemas import HealthOut


async def health_report(now: dt.datetime) -> HealthOut:
    engine = "unknown"
    try:
        engine = db.engine_name()
        applied = set(await db.applied_migrations())
    except Exception as exc:  # the report must answer even when the database does not
        return HealthOut("error", f"unreachable: {type(exc).__name__}", engine, "unknown", [], {})
    pending = [m for m in db.known_migrations() if m not in applied]
    nightly = await nightly_status(now)
    status = "ok" if not pending else "degraded"
    return HealthOut(
        status=status,
        database="reachable",
        engine=engine,
        migrations="current" if not pending else "pending",
        pending_migrations=pending,
        nightly=nightly,
    )


async def nightly_status(now: dt.datetime) -> dict[str, object]:
    from api.db.tables import NightlyRun

    row = await NightlyRun.select().order_by(NightlyRun.id, ascending=False).first().run()
    if row is None:
        return {"last_run": None, "status": "never run"}
    failed = (
        await NightlyRun.count()
        .where(
            (NightlyRun.status == "failed") & (NightlyRun.started_at > now - dt.timedelta(days=1))
        )
        .run()
    )
    overdue = row["started_at"] < now - dt.timedelta(hours=26)
    return {
        "last_run": row["started_at"].isoformat(),
        "status": row["status"],
        "failed_last_day": int(failed),
        "overdue": overdue,
        "alert": "a nightly run failed in the last day"
        if failed
        else ("the nightly job is overdue (last run over 26 hours ago)" if overdue else None),
    }
