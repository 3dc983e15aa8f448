"""`kith nightly`: import every configured source, rescore, reschedule; idempotent."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from api.cli.common import account, clock_for, load_settings, run_db

if TYPE_CHECKING:
    from api.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    night = sub.add_parser("nightly", help="import every source, rescore, reschedule")
    night.add_argument("--user", metavar="EMAIL")
    night.add_argument("--today", metavar="YYYY-MM-DD")
    night.set_defaults(handler=cmd_nightly)


def cmd_nightly(args: argparse.Namespace) -> int:
    from api.services.nightly import run_user
    from api.services.users import list_users

    now = clock_for(args.today)()
    settings = load_settings()

    async def work() -> list[tuple[str, dict[str, Any]]]:
        if args.user:
            users = [await account(args.user)]
        else:
            users = await list_users()
        return [(u.email, await run_user(u, now, settings)) for u in users]

    failed = False
    for email, result in run_db(settings, work):
        sched = result["schedule"]
        print(
            f"{email}: {result['status']}: {len(result['sources'])} sources, "
            f"{sched['placed']} reminders placed, {sched['backlog']} in the backlog"
        )
        for source in result["sources"]:
            if source["status"] == "failed":
                failed = True
                print(f"  source {source['source']} failed: {source['error']}", file=sys.stderr)
    return 1 if failed else 0
