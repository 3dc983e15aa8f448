"""`make bench`: every benchmark in one command; a table on stdout and bench/results.json.

    .venv/bin/python -m bench.run [--only queries,http,imports,strength,feed,load] [--toy]
        [--results PATH]

BENCH_QUICK=1 runs every section small and short (a smoke run of the whole bench).

Sizes and durations come from KITH_BENCH_* variables (bench/README.md, bench/common.py);
KITH_BENCH_SCALE=0.1 shrinks every data size at once. Exit 1 only when a section crashed; a
missed goal is a row in the table, not an error.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench.common import ROOT, SECTIONS, Config, loadavg
from bench.results import Figure, Goal, notes, table, write_json


def _sections() -> dict[str, Callable[[Config, Path], list[Figure]]]:
    from bench import feed, http, imports, load, queries, strength

    return {
        "queries": queries.run,
        "http": http.run,
        "imports": imports.run,
        "strength": strength.run,
        "feed": feed.run,
        "load": load.run,
    }


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--toy", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument("--results", type=Path, help="where to write the JSON results")
    parser.add_argument("--out", type=Path, help="folder for generated data and server logs")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL load run")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    cfg = Config.from_env()
    if os.environ.get("BENCH_QUICK", "0") not in {"0", ""}:
        cfg = cfg.quick()
    if args.toy:
        cfg = cfg.toy()
    if args.only:
        wanted = tuple(s.strip() for s in args.only.split(",") if s.strip())
        unknown = set(wanted) - set(SECTIONS)
        if unknown:
            raise SystemExit(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
        cfg = replace(cfg, sections=wanted)
    if args.results:
        cfg = replace(cfg, results=args.results)
    if args.out:
        cfg = replace(cfg, out_dir=args.out)
    if args.no_pg:
        cfg = replace(cfg, pg=False)
    return cfg


def main(argv: list[str] | None = None) -> int:
    cfg = config_from(parse_args(argv))
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kith-bench-"))
    print(
        f"Kith benchmarks at {_commit()} on {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average {loadavg()} (other work on this machine "
        f"slows both sides of every ratio); scratch folder {work}",
        flush=True,
    )
    figures: list[Figure] = []
    crashed = []
    started = time.perf_counter()
    runners = _sections()
    try:
        for name in cfg.sections:
            print(f"\n== {name} ==", flush=True)
            t0 = time.perf_counter()
            try:
                got = runners[name](cfg, work)
            except Exception as exc:
                traceback.print_exc()
                crashed.append(name)
                got = [
                    Figure(
                        f"{name}: benchmark ran to the end",
                        None,
                        "",
                        goal=Goal.runs(),
                        note=f"{type(exc).__name__}: {exc}",
                    )
                ]
            figures += got
            print(f"  ({name} took {time.perf_counter() - t0:.0f} s)", flush=True)
            write_json(figures, cfg.results)  # partial results survive an interrupted run
    finally:
        logs = work / "logs"
        if logs.exists():
            shutil.copytree(logs, cfg.out_dir / "logs", dirs_exist_ok=True)
        if cfg.keep:
            print(f"kept the scratch folder {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    write_json(figures, cfg.results)
    print(f"\n{table(figures)}\n")
    extra = notes(figures)
    if extra:
        print(f"Notes:\n{extra}\n")
    goals = [f for f in figures if f.goal is not None]
    met = sum(f.met for f in goals)
    print(
        f"{met} of {len(goals)} goals met; {len(figures)} figures in {cfg.results} "
        f"after {time.perf_counter() - started:.0f} s; load average now {loadavg()}"
    )
    if crashed:
        print(f"benchmark sections that failed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
