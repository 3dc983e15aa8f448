"""`kith feed-url`: the secret calendar subscription URL, or a new one with `--rotate`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from api.cli.common import UserError, account, clock_for, load_settings, run_db

if TYPE_CHECKING:
    from api.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    feed = sub.add_parser("feed-url", help="print the calendar subscription URL")
    feed.add_argument("--user", metavar="EMAIL", required=True)
    feed.add_argument("--rotate", action="store_true", help="replace it; the old URL stops working")
    feed.set_defaults(handler=cmd_feed_url)


def cmd_feed_url(args: argparse.Namespace) -> int:
    from api.services import feed

    settings = load_settings().with_secret()
    now = clock_for(None)()

    async def work() -> str:
        user = await account(args.user)
        info = await (feed.rotate if args.rotate else feed.feed_info)(settings, user.id, now)
        if info.key_changed:
            raise UserError(
                "the secret key changed since this feed URL was made, so it cannot be shown"
                " again (subscribed calendars keep working): run"
                f" `kith feed-url --user {args.user} --rotate` for a new one"
            )
        return info.https_url

    print(run_db(settings, work))
    return 0
