"""What every command shares: settings, the one database lifecycle, the one error mapper, the
clock, and the account a command acts for. A user error is one line on stderr and exit 1.

Command modules import the database and the services inside their handlers: `kith import
--dry-run` needs neither, and starts in a tenth of the time without them."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from api.clock import Clock, fixed_clock, system_clock
from api.errors import NotFound, ServiceError
from api.settings import Settings

if TYPE_CHECKING:
    from typing import TypeAlias

    from api.services.users import UserInfo

    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

T = TypeVar("T")
_NEWLINES = re.compile(r"\s*\n\s*")


class UserError(Exception):
    """Reported as one line on stderr, exit 1."""


def load_settings() -> Settings:
    return Settings.from_env()


def run_db(settings: Settings, work: Callable[[], Awaitable[T]], *, migrate: bool = True) -> T:
    """Configure the engine, open the pool, migrate (unless told not to), run `work`, close the
    pool: the one database lifecycle of every command, in its own event loop."""
    from api import db

    async def lifecycle() -> T:
        db.configure(settings)
        await db.start_pool(settings)
        try:
            if migrate:
                await db.migrate()
            return await work()
        finally:
            await db.close_pool()

    return asyncio.run(lifecycle())


def run_command(command: str, handler: Callable[[], int]) -> int:
    """Run one command; every failure becomes one line on stderr, never a traceback."""
    try:
        return handler()
    except UserError as exc:
        return _fail(str(exc))
    except ServiceError as exc:
        return _fail(exc.message)
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except Exception as exc:  # never a traceback for a user; the type says where to look
        return _fail(f"{command} failed: {type(exc).__name__}: {exc}")


def _fail(message: str) -> int:
    # A driver's message may span lines; the contract is one line.
    line = _NEWLINES.sub(" ", message.strip())
    print(f"kith: {line}", file=sys.stderr)
    return 1


def read_file(path: str) -> bytes:
    with open_file(path) as file:
        return file.read()


def open_file(path: str) -> BinaryIO:
    """`path` opened for reading bytes, or a UserError saying why it cannot be."""
    try:
        return Path(path).open("rb")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None


def parse_day(option: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} must be YYYY-MM-DD, not {value!r}") from None


def clock_for(today: str | None) -> Clock:
    """`--today` fixes the clock at noon UTC of that day (scripts, tests, catching up a missed
    night); without it, the system clock."""
    if today is None:
        return system_clock
    day = parse_day("--today", today)
    return fixed_clock(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


async def account(email: str | None) -> UserInfo:
    """The account a command acts for, or a user error that says how to create it."""
    from api.services.users import find_user

    if email is None:
        raise UserError("say which account with --user EMAIL")
    try:
        return await find_user(email)
    except NotFound:
        raise UserError(f"no account for {email}; create it with: kith user add {email}") from None
