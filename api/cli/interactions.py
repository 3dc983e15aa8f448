"""`kith log`: an interaction with a contact found by email or name."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from api.cli.common import account, clock_for, load_settings, parse_day, run_db

if TYPE_CHECKING:
    from api.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    log = sub.add_parser("log", help="log an interaction with a contact")
    log.add_argument("--user", metavar="EMAIL", required=True)
    log.add_argument("--contact", metavar="EMAIL_OR_NAME", required=True)
    log.add_argument("--kind", required=True, metavar="KIND", help="coffee, call, message, ...")
    log.add_argument("--on", metavar="YYYY-MM-DD")
    log.add_argument("--note", metavar="TEXT")
    log.set_defaults(handler=cmd_log)


def cmd_log(args: argparse.Namespace) -> int:
    from api.services.contacts import find_contact
    from api.services.interactions import NewInteraction, record_interaction, when

    async def work() -> str:
        user = await account(args.user)
        contact_id, name = await find_contact(user.id, args.contact)
        now = clock_for(None)()
        on = parse_day("--on", args.on) if args.on else None
        item = NewInteraction(kind=args.kind, at=when(user, now, None, on), note=args.note)
        await record_interaction(user, contact_id, item, now)
        return name

    name = run_db(load_settings(), work)
    print(f"logged {args.kind} with {name}")
    return 0
