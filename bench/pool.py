"""Issue 13: the PostgreSQL connection pool, sized by measurement. After the PostgreSQL load
run, the same mixed load (bench/mixed.lua, same accounts and sessions, same connections) runs
again against `kith serve` with each KITH_PG_POOL_MAX in KITH_BENCH_PG_POOLS, shorter, so the
default (api/settings.py) can be chosen from figures rather than guessed. Report only: the
baseline of each is the run at the default size from the same sweep.
"""

from __future__ import annotations

from pathlib import Path

from bench import wrk
from bench.common import Config, Server, free_port, server_env
from bench.results import Figure
from bench.wrk import WrkResult

DEFAULT_POOL = 10  # api/settings.py: KITH_PG_POOL_MAX


def _one(cfg: Config, url: str, data_dir: Path, work: Path, lua: Path, size: int) -> WrkResult:
    port = free_port()
    ledger = work / f"pool-{size}-ledger"
    ledger.mkdir(parents=True, exist_ok=True)
    env = server_env(url, data_dir, port, KITH_PG_POOL_MAX=str(size))
    log_path = work / "logs" / f"pool-{size}-serve.log"
    with Server(env, log_path, workers=cfg.pg_workers) as server:
        return wrk.mixed(
            server.base, seconds=cfg.pool_seconds, clients=cfg.clients, accounts=lua, ledger=ledger
        )


def sweep(cfg: Config, url: str, data_dir: Path, work: Path, lua: Path) -> list[Figure]:
    """One short mixed-load run per pool size; the sessions in `lua` are already signed in."""
    # Largest first: each run adds writes, so a later run works on a slightly larger book; a
    # smaller pool winning although it ran later is then not an artefact of the order.
    sizes = sorted(set(cfg.pg_pools) | {DEFAULT_POOL}, reverse=True)
    runs = {size: _one(cfg, url, data_dir, work, lua, size) for size in sizes}
    base = runs[DEFAULT_POOL]
    figures: list[Figure] = []
    for size, run in runs.items():
        print(
            f"  pool {size}/process x {cfg.pg_workers}: {run.rps:.0f} req/s, "
            f"p99 {run.latency_ms.get(99)} ms, {run.errors} socket errors",
            flush=True,
        )
        label = f"load PostgreSQL {cfg.pg_workers} workers, pool max {size} per process"
        note = f"{cfg.pool_seconds:.0f} s, {run.requests:,} requests, {run.errors} socket errors"
        figures += [
            Figure(
                f"{label}: mixed requests/s",
                run.rps,
                "req/s",
                f"pool max {DEFAULT_POOL} (the default), same sweep",
                base.rps,
                None,
                note=note,
            ),
            Figure(
                f"{label}: latency p99",
                run.latency_ms.get(99),
                "ms",
                f"pool max {DEFAULT_POOL} (the default), same sweep, p99",
                base.latency_ms.get(99),
                None,
            ),
        ]
    return figures
