"""`kith export`, `kith restore` and `kith backup`: a user's data out and back, a database copy."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from api.cli.common import UserError, account, load_settings, read_file, run_db

if TYPE_CHECKING:
    from api.cli.common import Subparsers


def register(sub: Subparsers) -> None:
    exp = sub.add_parser("export", help="export a user's data to stdout")
    exp.add_argument("--user", metavar="EMAIL", required=True)
    exp.add_argument("--format", choices=("vcard", "csv", "json"), default="json")
    exp.set_defaults(handler=cmd_export)
    res = sub.add_parser("restore", help="restore an account from a JSON export")
    res.add_argument("file", metavar="FILE")
    res.add_argument("--replace", action="store_true", help="overwrite an existing account")
    res.add_argument(
        "--new-ids",
        action="store_true",
        help="give every row a new id (when another account holds the export's ids)",
    )
    res.set_defaults(handler=cmd_restore)
    bak = sub.add_parser("backup", help="consistent online copy of the SQLite database")
    bak.add_argument("path", metavar="PATH")
    bak.set_defaults(handler=cmd_backup)


def cmd_export(args: argparse.Namespace) -> int:
    from api.services import export

    async def work() -> str:
        user = await account(args.user)
        if args.format == "json":
            return json.dumps(await export.export_json(user.id), ensure_ascii=False, indent=1)
        if args.format == "csv":
            return await export.export_csv(user.id)
        return await export.export_vcard(user.id)

    sys.stdout.write(run_db(load_settings(), work))
    if args.format == "json":
        sys.stdout.write("\n")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from api.services import export

    try:
        doc = json.loads(read_file(args.file))
    except json.JSONDecodeError as exc:
        raise UserError(f"{args.file}: not JSON ({exc.msg} at line {exc.lineno})") from None

    async def work() -> int:
        try:
            return await export.restore_json(doc, replace=args.replace, new_ids=args.new_ids)
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{args.file}: not a complete Kith export ({exc})") from None

    run_db(load_settings(), work)
    print(f"restored {doc['user']['email']} from {args.file}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    settings = load_settings()
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
