"""`kith source add|list|remove|run`: the nightly import sources of an account (folders, https
URLs, CardDAV address books, CalDAV calendars). A DAV password comes from KITH_SOURCE_PASSWORD
or a prompt, never from the command line (it would be in the shell history and `ps`)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from api.cli.common import UserError, account, clock_for, load_settings, run_db
from api.settings import env_source_password

if TYPE_CHECKING:
    from api.cli.common import Subparsers
    from api.schemas import SourceOut

KINDS = ("folder", "url", "carddav", "caldav")


def register(sub: Subparsers) -> None:
    src = sub.add_parser("source", help="manage nightly import sources")
    src_sub = src.add_subparsers(dest="source_command", required=True)
    add = src_sub.add_parser(
        "add", help="add a source (CardDAV/CalDAV password from KITH_SOURCE_PASSWORD or a prompt)"
    )
    add.add_argument("--user", metavar="EMAIL", required=True)
    add.add_argument("--kind", choices=KINDS, required=True)
    add.add_argument("--location", metavar="L", required=True, help="folder, URL or server URL")
    add.add_argument("--username", metavar="U", default=None)
    add.add_argument("--label", default="")
    add.add_argument(
        "--collection", action="append", default=None, metavar="URL",
        help="only this address book or calendar (repeatable; default: every one found)",
    )  # fmt: skip
    add.set_defaults(handler=cmd_add)
    lst = src_sub.add_parser("list", help="the account's sources, their collections and last run")
    lst.add_argument("--user", metavar="EMAIL", required=True)
    lst.set_defaults(handler=cmd_list)
    rm = src_sub.add_parser("remove", help="remove a source (its contacts stay)")
    rm.add_argument("--user", metavar="EMAIL", required=True)
    rm.add_argument("id", type=int)
    rm.set_defaults(handler=cmd_remove)
    run = src_sub.add_parser("run", help="import one source now")
    run.add_argument("--user", metavar="EMAIL", required=True)
    run.add_argument("id", type=int)
    run.add_argument("--today", metavar="YYYY-MM-DD")
    run.set_defaults(handler=cmd_run)


def _password(kind: str, username: str | None) -> str | None:
    if kind not in {"carddav", "caldav"} or not username:
        return None
    password = env_source_password()
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise UserError("set KITH_SOURCE_PASSWORD or run in a terminal to be asked the password")
    return getpass.getpass(f"Password of {username} (an app-specific one for iCloud): ")


def _line(source: SourceOut) -> str:
    last = source.last_run_at.isoformat(timespec="minutes") if source.last_run_at else "never"
    status = source.last_status or "not run"
    counts = ""
    if source.last_counts:
        counts = " " + ", ".join(
            f"{k} {v}" for k, v in source.last_counts.items() if v and k != "skipped"
        )
    line = f"{source.id}\t{source.kind}\t{source.label}\tlast run {last}: {status}{counts}"
    if source.last_error:
        line += f" ({source.last_error})"
    return line


def cmd_add(args: argparse.Namespace) -> int:
    from api import outbound, secrets_box
    from api.services.sources import create_source

    settings = load_settings().with_secret()
    password = _password(args.kind, args.username)

    async def work() -> SourceOut:
        outbound.configure(outbound.policy_from(settings))
        secrets_box.configure(settings.secret_key)
        user = await account(args.user)
        return await create_source(
            user.id,
            args.kind,
            args.location,
            label=args.label,
            roots=settings.folder_roots(user.id),
            username=args.username,
            password=password,
            collections=args.collection,
        )

    source = run_db(settings, work)
    print(f"source {source.id} added: {source.kind} {source.label}")
    for coll in source.collections:
        print(f"  {coll.name}\t{coll.href}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from api.services.sources import list_sources

    settings = load_settings()

    async def work() -> list[SourceOut]:
        return await list_sources((await account(args.user)).id)

    for source in run_db(settings, work):
        print(_line(source))
        for coll in source.collections:
            print(f"\t{coll.name}\t{coll.href}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from api.services.sources import delete_source

    settings = load_settings()

    async def work() -> None:
        await delete_source((await account(args.user)).id, args.id)

    run_db(settings, work)
    print(f"source {args.id} removed (its contacts stay)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from api import outbound, secrets_box
    from api.schemas import ImportReportOut
    from api.services.sources import run_source

    settings = load_settings().with_secret()
    now = clock_for(args.today)()

    async def work() -> ImportReportOut:
        outbound.configure(outbound.policy_from(settings))
        secrets_box.configure(settings.secret_key)
        user = await account(args.user)
        return await run_source(user, args.id, now, settings.folder_roots(user.id))

    report = run_db(settings, work)
    counts = ", ".join(f"{k} {v}" for k, v in report.counts.items())
    print(f"source {args.id}: {report.status}: {counts}")
    if report.status == "failed":
        print(f"kith: source {args.id} failed: {report.error}", file=sys.stderr)
        return 1
    return 0
