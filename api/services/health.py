"""The health report: database reachable, migrations applied, nightly runs on time, the queue."""

from __future__ import annotations

import datetime as dt
import logging

from api import db
from api.schemas import HealthOut
from api.store import nightly_runs as store

log = logging.getLogger("kith.health")

# A tick older than this (the tick runs at least every 5 minutes) means no worker is running.
TICK_LATE = dt.timedelta(minutes=15)


async def health_report(now: dt.datetime) -> HealthOut:
    engine = "unknown"
    try:
        engine = db.engine_name()
        applied = set(await db.applied_migrations())
    except Exception as exc:  # the report must answer even when the database does not
        return HealthOut("error", f"unreachable: {type(exc).__name__}", engine, "unknown", [], {})
    pending = [m for m in db.known_migrations() if m not in applied]
    nightly = await nightly_status(now)
    status = "ok" if not pending and nightly.get("alert") is None else "degraded"
    return HealthOut(
        status=status,
        database="reachable",
        engine=engine,
        migrations="current" if not pending else "pending",
        pending_migrations=pending,
        nightly=nightly,
    )


async def nightly_status(now: dt.datetime, user_id: int | None = None) -> dict[str, object]:
    """The last nightly run (any user for /health, one user for the API) and the queue; it says
    so loudly when a run failed or was interrupted in the last day, the job is overdue, a run is
    dated in the future, or jobs are stalled."""
    from api.services.nightly import close_interrupted

    await close_interrupted(now, user_id)  # a run past its deadline is reported as such
    queue = await queue_status(now)
    latest = await store.latest_nightly(user_id, now)
    future = await store.future_nightly(user_id, now)
    failed = await store.failed_nightly_since(user_id, now - dt.timedelta(days=1))
    interrupted = sum(1 for r in failed if r.error == store.INTERRUPTED)
    overdue = latest is not None and latest.started_at < now - dt.timedelta(hours=26)
    alerts = []
    if failed:
        alerts.append(
            f"{len(failed)} nightly runs failed in the last day"
            + (f" ({interrupted} interrupted)" if interrupted else "")
            + (f": {failed[-1].error}" if failed[-1].error else "")
        )
    if overdue:
        alerts.append("the nightly job is overdue (last run over 26 hours ago)")
    if future:
        alerts.append(f"{future} nightly runs are dated in the future (a clock that jumped?)")
    if queue.get("stalled"):
        alerts.append(f"{queue['stalled']} jobs lost their worker and wait to be retried")
    if queue.get("tick_late"):
        alerts.append("no worker has run the periodic tick lately: is `kith worker` running?")
    report: dict[str, object] = {
        "last_run": None if latest is None else latest.started_at.isoformat(),
        "status": "never run" if latest is None else latest.status,
        "failed_last_day": len(failed),
        "interrupted_last_day": interrupted,
        "dated_in_future": future,
        "overdue": overdue,
        "alert": "; ".join(alerts) or None,
        "queue": queue,
    }
    if latest is not None and latest.error:
        report["error"] = latest.error
    return report


async def queue_status(now: dt.datetime) -> dict[str, object]:
    """The job queue on PostgreSQL; on SQLite the nightly job runs inside `kith serve`."""
    if db.engine_name() != "postgres":
        return {"engine": "in-process"}
    from api.db import queue

    try:
        state = await queue.queue_state(db.queue_url(), now - dt.timedelta(days=1))
    except Exception as exc:  # report, never fail the health check on the queue's account
        log.warning("queue state unavailable: %s", exc)
        return {"engine": "procrastinate", "error": type(exc).__name__}
    return {
        "engine": "procrastinate",
        "queued": state.queued,
        "running": state.running,
        "stalled": state.stalled,
        "failed_last_day": state.failed,
        "retried_last_day": state.retried,
        "last_tick": None if state.last_tick is None else state.last_tick.isoformat(),
        "tick_late": state.last_tick is not None and state.last_tick < now - TICK_LATE,
    }
