"""`kith user add EMAIL`: an account, its password from KITH_PASSWORD or a prompt."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from api.cli.common import UserError, load_settings, run_db
from api.settings import env_password
from pipeline.validate import region_problem, timezone_problem

if TYPE_CHECKING:
    from api.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    usr = sub.add_parser("user", help="manage accounts")
    usr_sub = usr.add_subparsers(dest="user_command", required=True)
    add = usr_sub.add_parser(
        "add", help="create an account (password from KITH_PASSWORD or a prompt)"
    )
    add.add_argument("email")
    add.add_argument("--timezone", default="UTC")
    add.add_argument("--region", default=None, help="default: KITH_DEFAULT_REGION, else US")
    add.set_defaults(handler=cmd_user_add)
    link = sub.add_parser(
        "setup-link", help="print the one-time link that creates the first account in the browser"
    )
    link.set_defaults(handler=cmd_setup_link)


def _password() -> str:
    password = env_password()
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise UserError("set KITH_PASSWORD or run in a terminal to be asked for the password")
    password = getpass.getpass("Password (10 characters or more): ")
    if password != getpass.getpass("Again: "):
        raise UserError("the passwords differ")
    return password


def cmd_user_add(args: argparse.Namespace) -> int:
    from api.services.users import create_user

    settings = load_settings()
    region = args.region or settings.default_region
    # Checked before the password prompt: a typo is one line, not a question and then an error.
    problem = timezone_problem("--timezone", args.timezone) or (
        region_problem("--region", args.region) if args.region else None
    )
    if problem:
        raise UserError(problem)
    password = _password()
    user = run_db(
        settings,
        lambda: create_user(args.email, password, timezone=args.timezone, region=region),
    )
    print(
        f"created account {user.email} (time zone {user.timezone}); sign in at {settings.base_url}"
    )
    return 0


def cmd_setup_link(args: argparse.Namespace) -> int:
    from api.services.setup import setup_link

    settings = load_settings()
    link = run_db(settings, lambda: setup_link(settings))
    if link is None:
        raise UserError(
            f"an account already exists: sign in at {settings.base_url}; "
            "more accounts come from `kith user add EMAIL`"
        )
    print(link)
    return 0
