"""The `kith` command line (DESIGN.md section 7). A user error is one line on stderr and exit 1."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from api.settings import Settings, env_password
from pipeline.importer import FORMAT_CHOICES, parse_export
from pipeline.models import ParseResult, UnreadableFile

T = TypeVar("T")


class UserError(Exception):
    """Reported as one line on stderr, exit 1."""


def _result_json(path: str, result: ParseResult) -> dict[str, object]:
    entry: dict[str, object] = {"path": path, "format": result.format}
    if result.interactions is not None:
        entry["interactions"] = [i.contract_dict() for i in result.interactions]
    else:
        entry["contacts"] = [c.contract_dict() for c in result.contacts]
    entry["issues"] = [{"line": i.line, "message": i.message} for i in result.issues]
    return entry


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None


def _dry_run(args: argparse.Namespace) -> int:
    files = []
    for path in args.files:
        try:
            result = parse_export(_read(path), region=args.region, fmt=args.format)
        except UnreadableFile as exc:
            raise UserError(f"{path}: {exc}") from None
        files.append((path, result))
    if args.json:
        doc = {"files": [_result_json(p, r) for p, r in files]}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        for path, result in files:
            count = len(result.interactions if result.interactions is not None else result.contacts)
            print(f"{path}: {result.format}, {count} records, {len(result.issues)} issues")
            for issue in result.issues:
                print(f"  {path}:{issue.line}: {issue.message}")
    return 0


def _settings() -> Settings:
    return Settings.from_env()


def _run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def _with_db(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Configure the engine, migrate, run `work` with a pool open, close the pool."""
    from api import db

    db.configure(settings)
    await db.start_pool(settings)
    try:
        await db.migrate()
        return await work()
    finally:
        await db.close_pool()


def cmd_migrate(args: argparse.Namespace) -> int:
    from api import db

    settings = _settings()
    db.configure(settings)

    async def go() -> list[str]:
        await db.start_pool(settings)
        try:
            return await db.migrate()
        finally:
            await db.close_pool()

    ran = _run(go())
    print(f"migrated {settings.redacted_database_url()}: {len(ran)} applied, database is current")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api import db
    from api.services.users import count_users

    settings = _settings().with_secret()

    async def prepare() -> int:
        await db.migrate()
        return await count_users()

    db.configure(settings)
    users = _run(_prepare_db(settings, prepare))
    url = f"http://{args.host}:{args.port}"
    print(f"Kith is serving on {url}  (database: {settings.redacted_database_url()})", flush=True)
    if users == 0:
        print(
            "No account yet. Create the first one with:  .venv/bin/kith user add you@example.com",
            flush=True,
        )
    if args.workers > 1:
        uvicorn.run(
            "api.settings:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
        )
    else:
        from api.app import create_app

        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0


async def _prepare_db(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    from api import db

    await db.start_pool(settings)
    try:
        return await work()
    finally:
        await db.close_pool()


def cmd_user_add(args: argparse.Namespace) -> int:
    from api.errors import ServiceError
    from api.services.users import create_user

    password = env_password()
    if password is None:
        if not sys.stdin.isatty():
            raise UserError("set KITH_PASSWORD or run in a terminal to be asked for the password")
        password = getpass.getpass("Password (10 characters or more): ")
        if password != getpass.getpass("Again: "):
            raise UserError("the passwords differ")
    settings = _settings()
    try:
        user = _run(
            _with_db(
                settings,
                lambda: create_user(
                    args.email, password, timezone=args.timezone, region=args.region
                ),
            )
        )
    except ServiceError as exc:
        raise UserError(exc.message) from None
    print(
        f"created account {user.email} (time zone {user.timezone}); sign in at {settings.base_url}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kith", description="Kith: keep your network warm.")
    sub = parser.add_subparsers(dest="command", required=True)
    srv = sub.add_parser("serve", help="migrate, then serve the app and the PWA")
    srv.add_argument("--host", default=None)
    srv.add_argument("--port", type=int, default=None)
    srv.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    usr = sub.add_parser("user", help="manage accounts")
    usr_sub = usr.add_subparsers(dest="user_command", required=True)
    add = usr_sub.add_parser(
        "add", help="create an account (password from KITH_PASSWORD or a prompt)"
    )
    add.add_argument("email")
    add.add_argument("--timezone", default="UTC")
    add.add_argument("--region", default="US")
    imp = sub.add_parser("import", help="import contact or calendar exports")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--user", metavar="EMAIL")
    imp.add_argument("--format", default="auto", choices=FORMAT_CHOICES)
    imp.add_argument("--region", metavar="CC")
    imp.add_argument("--dry-run", action="store_true")
    imp.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as exc:
        print(f"kith: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kith: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback for a user; the type says where to look
        print(f"kith: {args.command} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "serve":
        settings = _settings()
        args.host = args.host or settings.host
        args.port = args.port or settings.port
        return cmd_serve(args)
    if args.command == "migrate":
        return cmd_migrate(args)
    if args.command == "user" and args.user_command == "add":
        return cmd_user_add(args)
    if args.command == "import":
        if args.dry_run:
            return _dry_run(args)
        return cmd_import(args)
    raise UserError(f"{args.command}: unknown command")


def cmd_import(args: argparse.Namespace) -> int:
    raise UserError("import into the database is not available yet; use --dry-run")


if __name__ == "__main__":
    sys.exit(main())
