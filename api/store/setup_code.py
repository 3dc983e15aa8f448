"""The first-run setup code: one random code in `<data dir>/setup_code`, kept across restarts.

A file next to the secret key rather than a table: `kith serve` and `kith setup-link` read the
same data folder, and the code exists only while the database has no account at all.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from api.settings import shared_secret

FILE_NAME = "setup_code"


def _path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read(data_dir: Path) -> str | None:
    """The code, or None when none was made yet."""
    try:
        return _path(data_dir).read_text().strip() or None
    except FileNotFoundError:
        return None


def read_or_create(data_dir: Path) -> str:
    """The code, made on first use; several processes starting at once agree on one."""
    return shared_secret(_path(data_dir))


def discard(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        _path(data_dir).unlink()
