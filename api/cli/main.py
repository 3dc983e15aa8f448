"""The `kith` parser and dispatch: each group of commands registers itself (DESIGN.md section 7)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from api.cli import data, demo, feed, imports, interactions, jobs, nightly, serve, users
from api.cli.common import run_command

# In the order `kith --help` lists them.
GROUPS = (serve, users, imports, interactions, nightly, jobs, feed, data, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kith", description="Kith: keep your network warm.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(args.command, lambda: int(args.handler(args)))
