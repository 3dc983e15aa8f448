"""`kith demo`: a demo account with a generated network and a year of interactions."""

from __future__ import annotations

import argparse
import secrets
from typing import TYPE_CHECKING

from api.cli.common import UserError, clock_for, load_settings, run_db
from api.settings import env_password

if TYPE_CHECKING:
    from api.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    demo = sub.add_parser("demo", help="create a demo account with a generated network")
    demo.add_argument("--email", default="demo@kith.local")
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from api.services.demo import create_demo, demo_exists

    password = env_password() or secrets.token_urlsafe(12)
    now = clock_for(None)()
    settings = load_settings()

    async def work() -> bool:
        if await demo_exists(args.email):
            return False
        await create_demo(args.email, password, now)
        return True

    if not run_db(settings, work):
        raise UserError(f"{args.email} exists already; sign in with its password")
    print(f"demo account {args.email} with password {password}")
    print(f"sign in at {settings.base_url}")
    return 0
