"""The nightly job per user: import every source, then rescore and reschedule. Idempotent."""

from __future__ import annotations

import datetime as dt
import logging

from api.services import merges
from api.services.sources import list_sources, run_source
from api.services.strength import refresh_user, tz_of
from api.services.users import UserInfo, get_user
from api.settings import Settings
from api.store import sources as store

log = logging.getLogger("kith.nightly")


async def run_user(
    user: UserInfo, now: dt.datetime, settings: Settings | None = None
) -> dict[str, object]:
    """One user's nightly run, recorded in NightlyRun; a failing source fails the run loudly
    but the others still import and the rescoring still happens."""
    run_id = await store.start_nightly(user.id, now)
    sources = await list_sources(user.id)
    results = []
    failed = False
    for source in sources:
        roots = settings.folder_roots(user.id) if settings is not None else None
        report = await run_source(user, source.id, now, roots)
        failed = failed or report.status == "failed"
        results.append(
            {
                "source": source.id,
                "status": report.status,
                "error": report.error,
                "counts": report.counts,
            }
        )
    summary = await refresh_user(user, now)
    summary["merge_suggestions"] = await merges.refresh_suggestions(user.id, now)
    detail = {"sources": results, "schedule": summary}
    await store.finish_nightly(run_id, "failed" if failed else "ok", now, detail)
    return {"status": "failed" if failed else "ok", **detail}


async def run_due_users(settings: Settings, now: dt.datetime) -> None:
    """Called every few minutes by `kith serve`: run users whose local nightly hour has passed
    today and who have no run started today (local)."""
    for user_id in await store.nightly_user_ids():
        user = await get_user(user_id)
        local = now.astimezone(tz_of(user))
        if local.hour < user.nightly_hour:
            continue
        start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if await store.nightly_ran_since(user.id, start_of_day):
            continue
        try:
            await run_user(user, now, settings)
        except Exception:
            log.exception("nightly run failed for user %s", user.id)
