"""The `kith` command line: one module per group of commands, `main` in api/cli/main.py."""

from __future__ import annotations

from api.cli.main import main

__all__ = ["main"]
