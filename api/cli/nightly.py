"""`kith nightly`: import every configured source, rescore, reschedule; the catch-up command."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING

from api.cli.common import UserError, account, clock_for, load_settings, run_db

if TYPE_CHECKING:
    from api.cli.common import Subparsers
    from api.services.nightly import Outcome


def register(sub: Subparsers) -> None:
    night = sub.add_parser("nightly", help="import every source, rescore, reschedule")
    night.add_argument("--user", metavar="EMAIL")
    night.add_argument("--today", metavar="YYYY-MM-DD")
    night.set_defaults(handler=cmd_nightly)


def cmd_nightly(args: argparse.Namespace) -> int:
    """Always runs (unlike the periodic tick, it does not skip a user who ran today); every
    user's run is its own: one line each, ok or failed with the reason, exit 1 if any failed."""
    from api.services.nightly import nightly_job
    from api.services.users import list_users

    now = clock_for(args.today)()
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    if now.date() > tomorrow:
        raise UserError(
            f"--today {args.today} is after tomorrow: a run dated in the future would stand "
            "for days that have not come"
        )
    settings = load_settings()

    async def work() -> list[tuple[str, Outcome]]:
        users = [await account(args.user)] if args.user else await list_users()
        return [(u.email, await nightly_job(u.id, now, settings, force=True)) for u in users]

    failed = False
    for email, outcome in run_db(settings, work):
        sched = outcome.schedule
        if outcome.status == "ok":
            print(
                f"{email}: ok: {len(outcome.sources)} sources, "
                f"{sched['placed']} reminders placed, {sched['backlog']} in the backlog"
            )
        else:
            failed = True
            print(f"{email}: failed: {outcome.error}")
        for source in outcome.sources:
            if source["status"] == "failed":
                print(f"  source {source['source']} failed: {source['error']}", file=sys.stderr)
    return 1 if failed else 0
