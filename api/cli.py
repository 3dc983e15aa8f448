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
from pipeline.formats.dispatch import FORMAT_CHOICES, parse_export
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
            access_log=False,
        )
    else:
        from api.app import create_app

        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,  # the feed token is in the URL path: never log request lines
        )
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
    log = sub.add_parser("log", help="log an interaction with a contact")
    log.add_argument("--user", metavar="EMAIL", required=True)
    log.add_argument("--contact", metavar="EMAIL_OR_NAME", required=True)
    log.add_argument("--kind", required=True, metavar="KIND", help="coffee, call, message, ...")
    log.add_argument("--on", metavar="YYYY-MM-DD")
    log.add_argument("--note", metavar="TEXT")
    night = sub.add_parser("nightly", help="import every source, rescore, reschedule")
    night.add_argument("--user", metavar="EMAIL")
    night.add_argument("--today", metavar="YYYY-MM-DD")
    feed = sub.add_parser("feed-url", help="print the calendar subscription URL")
    feed.add_argument("--user", metavar="EMAIL", required=True)
    feed.add_argument("--rotate", action="store_true", help="replace it; the old URL stops working")
    exp = sub.add_parser("export", help="export a user's data to stdout")
    exp.add_argument("--user", metavar="EMAIL", required=True)
    exp.add_argument("--format", choices=("vcard", "csv", "json"), default="json")
    res = sub.add_parser("restore", help="restore an account from a JSON export")
    res.add_argument("file", metavar="FILE")
    res.add_argument("--replace", action="store_true", help="overwrite an existing account")
    bak = sub.add_parser("backup", help="consistent online copy of the SQLite database")
    bak.add_argument("path", metavar="PATH")
    demo = sub.add_parser("demo", help="create a demo account with a generated network")
    demo.add_argument("--email", default="demo@kith.local")
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
    commands = {
        "log": cmd_log,
        "nightly": cmd_nightly,
        "feed-url": cmd_feed_url,
        "export": cmd_export,
        "restore": cmd_restore,
        "backup": cmd_backup,
        "demo": cmd_demo,
    }
    if args.command in commands:
        return commands[args.command](args)
    raise UserError(f"{args.command}: unknown command")


async def _user(email: str | None) -> Any:
    from api.errors import NotFound
    from api.services.users import find_user

    if email is None:
        raise UserError("say which account with --user EMAIL")
    try:
        return await find_user(email)
    except NotFound:
        raise UserError(f"no account for {email}; create it with: kith user add {email}") from None


def _today_now(today: str | None) -> Any:
    """`--today` fixes the clock for a run (scripts, tests, catching up a missed night)."""
    import datetime as dt

    if today is None:
        return dt.datetime.now(dt.UTC)
    try:
        day = dt.date.fromisoformat(today)
    except ValueError:
        raise UserError(f"--today must be YYYY-MM-DD, not {today!r}") from None
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _progress() -> Any:
    """A progress line on stderr for large files, only when a person watches a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(1, total)
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{stage} [{bar}] {done}/{total}{end}")
        sys.stderr.flush()

    return show


def cmd_import(args: argparse.Namespace) -> int:
    import datetime as dt

    from api.services.imports import import_file

    raws = [(path, _read(path)) for path in args.files]

    async def work() -> list[Any]:
        user = await _user(args.user)
        now = dt.datetime.now(dt.UTC)
        return [
            await import_file(
                user,
                raw,
                filename=path,
                now=now,
                fmt=args.format,
                region=args.region,
                progress=_progress(),
            )
            for path, raw in raws
        ]

    reports = _run(_with_db(_settings(), work))
    failed = False
    for report in reports:
        if args.json:
            continue
        c = report.counts
        if report.status == "ok":
            print(
                f"{report.filename}: {report.format}: {c['new']} new, {c['updated']} updated, "
                f"{c['unchanged']} unchanged, {c['archived']} archived, {c['skipped']} skipped, "
                f"{c['interactions']} interactions, {len(report.issues)} issues"
            )
        for issue in report.issues:
            print(f"  {issue.file or report.filename}:{issue.line}: {issue.message}")
        if report.status != "ok":
            failed = True
            print(f"kith: {report.error}", file=sys.stderr)
    if args.json:
        from api.services.imports import report_json

        doc = {"imports": [report_json(r) for r in reports]}
        sys.stdout.write(json.dumps(doc, default=str, ensure_ascii=False) + "\n")
    return 1 if failed else 0


def cmd_log(args: argparse.Namespace) -> int:
    import datetime as dt

    from api.errors import ServiceError
    from api.services.interactions import NewInteraction, record_interaction, when

    async def work() -> str:
        user = await _user(args.user)
        contact_id, name = await _find_contact(user.id, args.contact)
        now = dt.datetime.now(dt.UTC)
        on = None
        if args.on:
            try:
                on = dt.date.fromisoformat(args.on)
            except ValueError:
                raise UserError(f"--on must be YYYY-MM-DD, not {args.on!r}") from None
        item = NewInteraction(kind=args.kind, at=when(user, now, None, on), note=args.note)
        try:
            await record_interaction(user, contact_id, item, now)
        except ServiceError as exc:
            raise UserError(exc.message) from None
        return name

    name = _run(_with_db(_settings(), work))
    print(f"logged {args.kind} with {name}")
    return 0


async def _find_contact(user_id: int, query: str) -> tuple[int, str]:
    """By email (exact, casefolded), else by name (exact, then unique substring)."""
    from api.db.tables import Contact, ContactKey
    from pipeline.normalize import normalize_email

    email = normalize_email(query)
    if email:
        row = (
            await ContactKey.select(ContactKey.contact, ContactKey.contact.full_name.as_alias("n"))
            .where(
                (ContactKey.user == user_id)
                & (ContactKey.kind == "email")
                & (ContactKey.value == email)
            )
            .first()
            .run()
        )
        if row:
            return int(row["contact"]), str(row["n"])
    rows = (
        await Contact.select(Contact.id, Contact.full_name)
        .where((Contact.user == user_id) & Contact.archived.eq(False))
        .run()
    )
    wanted = query.casefold().strip()
    exact = [r for r in rows if r["full_name"].casefold() == wanted]
    partial = [r for r in rows if wanted in r["full_name"].casefold()]
    found = exact or partial
    if len(found) == 1:
        return int(found[0]["id"]), str(found[0]["full_name"])
    if not found:
        raise UserError(f"no contact matches {query!r}")
    names = ", ".join(sorted(r["full_name"] for r in found)[:5])
    raise UserError(f"{query!r} matches {len(found)} contacts ({names}); use the email")


def cmd_nightly(args: argparse.Namespace) -> int:
    from api.db.tables import User
    from api.services.nightly import run_user
    from api.services.users import get_user

    now = _today_now(args.today)

    async def work() -> list[tuple[str, dict[str, Any]]]:
        if args.user:
            users = [await _user(args.user)]
        else:
            users = [await get_user(r["id"]) for r in await User.select(User.id).run()]
        return [(u.email, await run_user(u, now, _settings())) for u in users]

    results = _run(_with_db(_settings(), work))
    failed = False
    for email, result in results:
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


def cmd_feed_url(args: argparse.Namespace) -> int:
    from api.services import feed

    settings = _settings().with_secret()
    now = _today_now(None)

    async def work() -> str:
        user = await _user(args.user)
        info = await (feed.rotate if args.rotate else feed.feed_info)(settings, user.id, now)
        return info.https_url

    print(_run(_with_db(settings, work)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from api.services import export

    async def work() -> str:
        user = await _user(args.user)
        if args.format == "json":
            return json.dumps(await export.export_json(user.id), ensure_ascii=False, indent=1)
        if args.format == "csv":
            return await export.export_csv(user.id)
        return await export.export_vcard(user.id)

    sys.stdout.write(_run(_with_db(_settings(), work)))
    if args.format == "json":
        sys.stdout.write("\n")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from api.errors import ServiceError
    from api.services import export

    try:
        doc = json.loads(_read(args.file))
    except json.JSONDecodeError as exc:
        raise UserError(f"{args.file}: not JSON ({exc.msg} at line {exc.lineno})") from None

    async def work() -> int:
        try:
            return await export.restore_json(doc, replace=args.replace)
        except ServiceError as exc:
            raise UserError(exc.message) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{args.file}: not a complete Kith export ({exc})") from None

    _run(_with_db(_settings(), work))
    print(f"restored {doc['user']['email']} from {args.file}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    import sqlite3

    settings = _settings()
    if settings.engine != "sqlite":
        raise UserError(
            "kith backup copies the SQLite database; for PostgreSQL use pg_dump (see README)"
        )
    src_path = settings.sqlite_path
    if not src_path.exists():
        raise UserError(f"no database at {src_path}")
    target = Path(args.path)
    if target.exists() and target.is_dir():
        target = target / "kith-backup.sqlite3"
    if target.exists():
        raise UserError(f"{target} exists; choose a new file name")
    # The sqlite3 backup API copies a consistent snapshot while the server keeps running.
    src = sqlite3.connect(src_path)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    print(f"backed up {src_path} to {target}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import secrets

    from api.services.demo import create_demo, demo_exists

    password = env_password() or secrets.token_urlsafe(12)
    now = _today_now(None)

    async def work() -> bool:
        if await demo_exists(args.email):
            return False
        await create_demo(args.email, password, now)
        return True

    created = _run(_with_db(_settings(), work))
    if not created:
        raise UserError(f"{args.email} exists already; sign in with its password")
    print(f"demo account {args.email} with password {password}")
    print(f"sign in at {_settings().base_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
