"""The nightly job per user: import every source, then rescore and reschedule. Idempotent."""

from __future__ import annotations

import datetime as dt
import logging

from api.db.tables import ImportSource, NightlyRun, User
from api.jsonutil import dump
from api.services.sources import run_source
from api.services.strength import refresh_user, tz_of
from api.services.users import UserInfo, get_user
from api.settings import Settings

log = logging.getLogger("kith.nightly")


async def run_user(
    user: UserInfo, now: dt.datetime, settings: Settings | None = None
) -> dict[str, object]:
    """One user's nightly run, recorded in NightlyRun; a failing source fails the run loudly
    but the others still import and the rescoring still happens."""
    row = (
        await NightlyRun.insert(NightlyRun(user=user.id, started_at=now))
        .returning(NightlyRun.id)
        .run()
    )
    run_id = int(row[0]["id"])
    sources = (
        await ImportSource.select(ImportSource.id)
        .where(ImportSource.user == user.id)
        .order_by(ImportSource.id)
        .run()
    )
    results = []
    failed = False
    for source in sources:
        roots = settings.folder_roots(user.id) if settings is not None else None
        report = await run_source(user, source["id"], now, roots)
        failed = failed or report.status == "failed"
        results.append(
            {
                "source": source["id"],
                "status": report.status,
                "error": report.error,
                "counts": report.counts,
            }
        )
    summary = await refresh_user(user, now)
    from api.services.merges import refresh_suggestions

    summary["merge_suggestions"] = await refresh_suggestions(user.id, now)
    detail = {"sources": results, "schedule": summary}
    await (
        NightlyRun.update(
            {
                NightlyRun.status: "failed" if failed else "ok",
                NightlyRun.finished_at: now,
                NightlyRun.detail: dump(detail),
            }
        )
        .where(NightlyRun.id == run_id)
        .run()
    )
    return {"status": "failed" if failed else "ok", **detail}


async def run_due_users(settings: Settings, now: dt.datetime) -> None:
    """Called every few minutes by `kith serve`: run users whose local nightly hour has passed
    today and who have no run started today (local)."""
    users = await User.select(User.id).run()
    for u in users:
        user = await get_user(u["id"])
        local = now.astimezone(tz_of(user))
        if local.hour < user.nightly_hour:
            continue
        start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        ran = (
            await NightlyRun.exists()
            .where((NightlyRun.user == user.id) & (NightlyRun.started_at >= start_of_day))
            .run()
        )
        if ran:
            continue
        try:
            await run_user(user, now, settings)
        except Exception:
            log.exception("nightly run failed for user %s", user.id)
