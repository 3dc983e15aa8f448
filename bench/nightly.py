"""Nightly throughput (issue 16): users per minute through the whole nightly job (import a
folder source of N cards, rescore, reschedule), on PostgreSQL with 1 and with 3 `kith worker`
processes, and SQLite in-process (the runner `kith serve` uses). Baseline: 1 worker."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import traceback
from pathlib import Path

from bench.common import KITH, PASSWORD, Config, database, settings_for, sqlite_url
from bench.results import Figure


def _vcards(user: int, count: int) -> bytes:
    return "".join(
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        f"UID:u{user}-p{n}\r\nFN:Person {n} Of{user}\r\nN:Of{user};Person {n};;;\r\n"
        f"EMAIL;TYPE=INTERNET:p{n}.of{user}@example.org\r\nEND:VCARD\r\n"
        for n in range(count)
    ).encode()


async def _populate(url: str, folder: Path, users: int, cards: int) -> None:
    """Accounts due now (nightly hour 0, UTC), each with a folder source of `cards` cards."""
    from api.db.tables import User
    from api.services.sources import create_source
    from api.services.users import create_user

    drops = folder / "drop"
    async with database(settings_for(url, folder / "data")):
        for n in range(users):
            (drops / str(n)).mkdir(parents=True, exist_ok=True)
            (drops / str(n) / "contacts.vcf").write_bytes(_vcards(n, cards))
            user = await create_user(f"n{n}@example.com", PASSWORD)
            await create_source(user.id, "folder", str(drops / str(n)))
        await User.update({User.nightly_hour: 0}, force=True).run()


async def _ok_users(url: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(DISTINCT \"user\") FROM nightly_run WHERE status = 'ok'"
            )
        )
    finally:
        await conn.close()


def _sqlite_in_process(folder: Path, users: int, cards: int) -> float:
    """Seconds for one tick of the in-process runner over every due user."""
    from dataclasses import replace

    from api.clock import system_clock
    from api.jobs.inprocess import InProcessRunner

    url = sqlite_url(folder / "nightly.sqlite3")
    asyncio.run(_populate(url, folder, users, cards))
    settings = replace(settings_for(url, folder / "data"), source_roots=(folder / "drop",))

    async def tick() -> tuple[float, int]:
        async with database(settings):
            start = time.perf_counter()
            outcomes = await InProcessRunner(settings, system_clock).tick()
            return time.perf_counter() - start, sum(o.status == "ok" for o in outcomes)

    seconds, ok = asyncio.run(tick())
    if ok != users:
        raise RuntimeError(f"SQLite in-process: {ok} of {users} runs ok")
    return seconds


def _postgres_workers(url: str, folder: Path, users: int, cards: int, workers: int) -> float:
    """Seconds from starting `workers` `kith worker` processes until every user ran ok."""
    asyncio.run(_populate(url, folder, users, cards))
    env = {
        **os.environ,
        "KITH_DATABASE_URL": url,
        "KITH_DATA_DIR": str(folder / "data"),
        "KITH_SOURCE_ROOTS": str(folder / "drop"),
        "KITH_NIGHTLY_TICK_SECONDS": "1",
    }
    logs = [(folder / f"worker{n}.log").open("wb") for n in range(workers)]
    start = time.perf_counter()
    procs = [
        subprocess.Popen([KITH, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
        for log in logs
    ]
    try:
        deadline = start + 3600
        while asyncio.run(_ok_users(url)) < users:
            if time.perf_counter() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"PostgreSQL {workers} workers did not finish")
            time.sleep(0.5)
        return time.perf_counter() - start
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        for log in logs:
            log.close()


def run(cfg: Config, work: Path) -> list[Figure]:
    from bench.load import _fresh_database, _initdb_present, postgres

    users, cards = cfg.nightly_users, cfg.nightly_cards
    size = f"{users} users x {cards} contacts (a folder source each)"
    rates: dict[str, float] = {}
    if cfg.pg and (cfg.pg_url or _initdb_present()):
        try:
            with postgres(cfg) as admin:
                assert admin is not None
                for workers in (1, 3):
                    url = asyncio.run(_fresh_database(admin, f"kith_nightly_{workers}"))
                    folder = work / f"nightly-pg-{workers}"
                    seconds = _postgres_workers(url, folder, users, cards, workers)
                    rates[f"PostgreSQL {workers} workers"] = users / seconds * 60
                    print(f"  PostgreSQL {workers} worker(s): {seconds:.1f} s", flush=True)
        except Exception:
            traceback.print_exc()
    else:
        print("  PostgreSQL skipped (KITH_BENCH_PG=0 or not installed)", flush=True)
    seconds = _sqlite_in_process(work / "nightly-sqlite", users, cards)
    rates["SQLite in-process"] = users / seconds * 60
    print(f"  SQLite in-process: {seconds:.1f} s", flush=True)
    base_name = "PostgreSQL 1 workers"
    base = rates.get(base_name)
    figures = []
    for label, rate in rates.items():
        figures.append(
            Figure(
                f"nightly throughput, {label.replace('1 workers', '1 worker')}",
                rate,
                "users/min",
                baseline_name=None if label == base_name or base is None else "PostgreSQL 1 worker",
                baseline_value=None if label == base_name else base,
                # No goal: on 2 cores shared with other work, 3 workers contend for the same
                # CPUs; the figure shows the scaling a machine gives, not a promise.
                goal=None,
                note=f"{size}; whole nightly job per user (import, rescore, reschedule); "
                + (
                    "one tick of the in-process runner"
                    if label.startswith("SQLite")
                    else "from starting the workers until every run is ok"
                ),
            )
        )
    return figures
