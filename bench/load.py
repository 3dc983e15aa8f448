"""Issue 7: a bounded load test. 50 signed-in clients for 60 s against a real `kith serve`, on
SQLite (1 worker) and on PostgreSQL (several workers), then a check that no write was lost.

Each user signs in once; that user's clients share the session (a phone and a laptop would), so
the run signs in `load_users` times, never enough to meet the login throttle. Clients only talk
to 127.0.0.1, stop issuing requests at the deadline and wait for the ones in flight (75 s timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import glob
import os
import random
import subprocess
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from api.db.tables import Contact, Interaction
from api.services.strength import refresh_user
from bench.common import (
    ROOT,
    Config,
    Server,
    database,
    free_port,
    percentile,
    server_env,
    settings_for,
    sqlite_url,
)
from bench.gen import add_contacts, add_interactions, circle_ids, new_user
from bench.gen import pick_circles as circles_for
from bench.load_client import MIX, Account, Tally, drive
from bench.results import Figure, Goal


async def _seed(cfg: Config, url: str, data_dir: Path) -> list[Account]:
    rng = random.Random(cfg.seed + 7)
    now = dt.datetime.now(dt.UTC)
    accounts = []
    async with database(settings_for(url, data_dir)):
        for u in range(cfg.load_users):
            user = await new_user(f"load{u}@bench.example")
            circles = await circle_ids(user.id)
            places = [circles.get(n) if n else None for n in circles_for(cfg.load_contacts, rng)]
            ids = await add_contacts(user.id, places, rng, now, tag=f"u{u}c")
            await add_interactions(user.id, ids, rng, now)
            await refresh_user(user, now)
            accounts.append(Account(user.email, ids))
    return accounts


async def _lost_writes(url: str, data_dir: Path, tally: Tally) -> tuple[int, int, int]:
    """(lost interaction logs, lost edits, acknowledged writes checked), read from the database."""
    async with database(settings_for(url, data_dir)):
        rows = await Interaction.raw(
            "SELECT dedup_key FROM interaction WHERE dedup_key LIKE 'bench-%'"
        ).run()
        stored = {r["dedup_key"] for r in rows}
        lost_logs = len(tally.acked_keys - stored)
        notes: dict[int, str | None] = {}
        ids = list(tally.edits)
        for i in range(0, len(ids), 500):
            got = await Contact.select(Contact.id, Contact.note).where(
                Contact.id.is_in(ids[i : i + 500])
            )
            notes.update({r["id"]: r["note"] for r in got})
    lost_edits = 0
    acked_edits = 0
    for cid, sent in tally.edits.items():
        acked = [n for n, (_, ok) in enumerate(sent) if ok]
        if not acked:
            continue
        acked_edits += 1
        last = acked[-1]
        # An edit after the last acknowledged one that got no answer may or may not have landed.
        allowed = {sent[last][0], *(note for note, _ in sent[last + 1 :])}
        if notes.get(cid) not in allowed:
            lost_edits += 1
    return lost_logs, lost_edits, len(tally.acked_keys) + acked_edits


def _figures(
    cfg: Config,
    label: str,
    probe: Tally,
    health: Tally,
    mixed: Tally,
    lost: tuple[int, int, int],
    log: str,
) -> list[Figure]:
    lat, base = mixed.all_latencies(), health.latency["health"]
    # 304 is the right answer to a conditional feed fetch; every other non-2xx is counted.
    non_2xx = {
        s: n for s, n in sorted(mixed.statuses.items()) if not s.startswith("2") and s != "304"
    }
    failed = sum(n for s, n in non_2xx.items() if s.startswith(("5", "ERR")))
    per_op = "under load: " + "; ".join(
        f"{op} n={len(v)} p50 {percentile(v, 50):.0f} / p95 {percentile(v, 95):.0f} ms"
        for op, v in sorted(mixed.latency.items())
    )
    alone = "one client alone before the load, p50: " + ", ".join(
        f"{op} {percentile(v, 50):.0f} ms" for op, v in probe.latency.items()
    )
    locked = log.count("database is locked")
    tracebacks = log.count("Traceback")
    run = f"{cfg.clients} clients, {mixed.seconds:.0f} s, {mixed.count:,} requests"
    base_name = f"/health, same {cfg.clients} clients"
    figures = [
        Figure(
            f"load {label}: mixed requests/s",
            mixed.count / mixed.seconds,
            "req/s",
            f"{base_name} (req/s)",
            health.count / health.seconds,
            None,
            note=f"{run}; mix {dict(MIX)} (% of requests)",
        )
    ]
    for pct in (50, 95, 99):
        figures.append(
            Figure(
                f"load {label}: latency p{pct}",
                percentile(lat, pct),
                "ms",
                f"{base_name} p{pct}",
                percentile(base, pct),
                None,
                note=(per_op if pct == 95 else alone if pct == 50 else ""),
            )
        )
    figures += [
        Figure(
            f"load {label}: non-2xx responses (304 excluded)",
            float(sum(non_2xx.values())),
            "responses",
            note=f"by status: {non_2xx or 'none'}; by operation: "
            + str(
                {
                    f"{op} {s}": n
                    for (op, s), n in sorted(mixed.by_op.items())
                    if not s.startswith("2") and s != "304"
                }
                or "none"
            )
            + f"; plus {mixed.statuses['304']} 304 answers to conditional feed fetches",
        ),
        Figure(
            f"load {label}: 5xx or unanswered requests",
            float(failed),
            "requests",
            goal=Goal.value_at_most(0, "requests"),
        ),
        Figure(
            f"load {label}: acknowledged writes missing from the database",
            float(lost[0] + lost[1]),
            "writes",
            goal=Goal.value_at_most(0, "writes"),
            note=f"{lost[2]:,} acknowledged writes checked by querying the database afterwards "
            "(every acknowledged interaction log by its idempotency key, and the last "
            f"acknowledged note of each edited contact); lost: {lost[0]} logs, {lost[1]} edits",
        ),
        Figure(
            f"load {label}: 'database is locked' in the server log",
            float(locked),
            "lines",
            goal=Goal.value_at_most(0, "lines"),
            note=f"{tracebacks} tracebacks in the server log",
        ),
    ]
    return figures


def run_engine(cfg: Config, label: str, url: str, work: Path, workers: int) -> list[Figure]:
    slug = label.split()[0].lower()
    data_dir = work / f"load-{slug}-data"
    accounts = asyncio.run(_seed(cfg, url, data_dir))
    port = free_port()
    log_path = work / "logs" / f"load-{slug}-serve.log"
    with Server(server_env(url, data_dir, port), log_path, workers=workers) as server:
        probe, health, mixed = asyncio.run(drive(cfg, server.base, accounts, slug))
    log = server.log_text()
    ledger = Tally(acked_keys=probe.acked_keys | mixed.acked_keys)
    for tally in (probe, mixed):  # the probe's edits came first
        for cid, sent in tally.edits.items():
            ledger.edits[cid].extend(sent)
    lost = asyncio.run(_lost_writes(url, data_dir, ledger))
    print(
        f"  {label}: {mixed.count / mixed.seconds:.0f} req/s mixed, "
        f"{health.count / health.seconds:.0f} req/s /health; statuses {dict(mixed.statuses)}",
        flush=True,
    )
    return _figures(cfg, label, probe, health, mixed, lost, log)


def _initdb_present() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


@contextlib.contextmanager
def postgres(cfg: Config) -> Iterator[str | None]:
    """An admin URL for a PostgreSQL server: KITH_BENCH_PG_URL, else a throwaway cluster from
    scripts/pg-cluster.sh on its own port and folder (never the test suite's), stopped after."""
    if cfg.pg_url:
        yield cfg.pg_url
        return
    port = free_port()
    env = {**os.environ, "PG_PORT": str(port), "PG_DIR": f"/tmp/kith-bench-pg-{port}"}
    script = str(ROOT / "scripts" / "pg-cluster.sh")
    done = subprocess.run(
        [script, "start"], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"scripts/pg-cluster.sh start failed: {done.stderr.strip()[-500:]}")
    try:
        yield done.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True, timeout=60, check=False)
        subprocess.run(["rm", "-rf", env["PG_DIR"]], check=False)


async def _fresh_database(admin_url: str, name: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def run(cfg: Config, work: Path) -> list[Figure]:
    figures = run_engine(cfg, "SQLite 1 worker", sqlite_url(work / "load.sqlite3"), work, 1)
    if not cfg.pg:
        print("  PostgreSQL skipped: KITH_BENCH_PG=0", flush=True)
        return figures
    if not cfg.pg_url and not _initdb_present():
        print(
            "  PostgreSQL skipped: not installed (no /usr/lib/postgresql/*/bin/initdb); "
            "install Debian's postgresql or set KITH_BENCH_PG_URL",
            flush=True,
        )
        return figures
    try:
        with postgres(cfg) as admin:
            assert admin is not None
            url = asyncio.run(_fresh_database(admin, "kith_bench"))
            label = f"PostgreSQL {cfg.pg_workers} workers"
            figures += run_engine(cfg, label, url, work, cfg.pg_workers)
    except Exception as exc:  # keep the SQLite figures; say plainly that this half failed
        traceback.print_exc()
        figures.append(
            Figure(
                "load PostgreSQL: benchmark ran to the end",
                None,
                "",
                goal=Goal("runs without an error", lambda _v, _r: False),
                note=f"{type(exc).__name__}: {exc}",
            )
        )
    return figures
