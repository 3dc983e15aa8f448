"""Issues 7 and 13: a bounded load test. 50 signed-in connections for 60 s against a real
`kith serve`, on SQLite (1 worker) and on PostgreSQL (several workers), driven by Debian's `wrk`
with bench/mixed.lua, then a check that no acknowledged write was lost. The baseline is the
trivial ASGI app (bench/trivial_app.py) under as many uvicorn processes, same connections.

Each user signs in once; that user's connections share the session (a phone and a laptop
would), so the run signs in `load_users` times, never enough to meet the login throttle.
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
from bench import pool, wrk
from bench.common import (
    ROOT,
    Config,
    Server,
    database,
    free_port,
    server_env,
    settings_for,
    sqlite_url,
)
from bench.gen import add_contacts, add_interactions, circle_ids, new_user
from bench.gen import pick_circles as circles_for
from bench.http import trivial_server
from bench.load_client import Account, Tally, sign_in
from bench.results import Figure, Goal
from bench.wrk import WrkResult


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


def _lua_accounts(accounts: list[Account], path: Path) -> None:
    """The accounts as a Lua table for bench/mixed.lua (cookies, CSRF token, feed path, ids)."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    rows = []
    for a in accounts:
        cookie = "; ".join(f"{k}={v}" for k, v in a.cookies.items())
        ids = ", ".join(str(i) for i in a.contact_ids)
        rows.append(
            f"  {{cookie = {q(cookie)}, csrf = {q(a.cookies['csrftoken'])}, "
            f"feed = {q(a.feed_path)}, contacts = {{{ids}}}}},"
        )
    path.write_text("return {\n" + "\n".join(rows) + "\n}\n")


def _ledger(folder: Path) -> Tally:
    """What the wrk threads sent and what came back (bench/mixed.lua's ledger files)."""
    tally = Tally()
    for path in sorted(folder.glob("thread-*.log")):
        sent: list[str] | None = None
        for line in path.read_text().splitlines():
            kind, _, rest = line.partition(" ")
            if kind == "S":
                sent = rest.split(" ", 2)
                if sent[0] == "edit":
                    tally.edits[int(sent[1])].append((sent[2], False))
            elif kind == "A":
                status, _, op = rest.partition(" ")
                tally.statuses[status] += 1
                tally.by_op[(op, status)] += 1
                ok = status.startswith("2")
                if sent is not None and ok:
                    if sent[0] == "log":
                        tally.acked_keys.add(sent[1])
                    else:
                        history = tally.edits[int(sent[1])]
                        history[-1] = (history[-1][0], True)
                sent = None
    return tally


def _figures(
    cfg: Config,
    label: str,
    floor: WrkResult,
    mixed: WrkResult,
    tally: Tally,
    lost: tuple[int, int, int],
    log: str,
) -> list[Figure]:
    # 304 is the right answer to a conditional feed fetch; every other non-2xx is counted.
    bad = {s: n for s, n in sorted(tally.statuses.items()) if not s.startswith("2") and s != "304"}
    by_op = {
        f"{op} {s}": n
        for (op, s), n in sorted(tally.by_op.items())
        if not s.startswith("2") and s != "304"
    }
    ops: dict[str, int] = {}
    for (op, _), n in tally.by_op.items():
        ops[op] = ops.get(op, 0) + n
    locked = log.count("database is locked")
    tracebacks = log.count("Traceback")
    run = f"{cfg.clients} connections (wrk, one per thread), {mixed.seconds:.0f} s, {mixed.requests:,} requests"
    base_name = f"trivial ASGI app, {label.split(' ', 1)[1]}, same {cfg.clients} connections"
    figures = [
        Figure(
            f"load {label}: mixed requests/s",
            mixed.rps,
            "req/s",
            base_name,
            floor.rps,
            Goal.ratio_at_least(0.1),
            note=f"{run}; requests by operation {ops}; bench/mixed.lua",
        )
    ]
    for pct in (50, 90, 99):
        figures.append(
            Figure(
                f"load {label}: latency p{pct}",
                mixed.latency_ms.get(pct),
                "ms",
                f"{base_name}, p{pct}",
                floor.latency_ms.get(pct),
                Goal.ratio_at_most(10) if pct == 99 else None,
            )
        )
    figures += [
        Figure(
            f"load {label}: answers other than 2xx or 304",
            float(sum(bad.values())),
            "responses",
            goal=Goal.value_at_most(0, "responses"),
            note=f"by status: {bad or 'none'}; by operation: {by_op or 'none'}; plus "
            f"{tally.statuses['304']} 304 answers to conditional feed fetches",
        ),
        Figure(
            f"load {label}: socket errors (connect, read, write, timeout)",
            float(mixed.errors),
            "errors",
            goal=Goal.value_at_most(0, "errors"),
            note=f"wrk: {mixed.socket_errors or 'none'}",
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
    floor = trivial_floor(cfg, work, workers)
    port = free_port()
    log_path = work / "logs" / f"load-{slug}-serve.log"
    ledger = work / f"load-{slug}-ledger"
    ledger.mkdir(parents=True, exist_ok=True)
    lua = work / f"load-{slug}-accounts.lua"
    with Server(server_env(url, data_dir, port), log_path, workers=workers) as server:

        async def sign_in_all() -> None:
            for account in accounts:
                await sign_in(server.base, account)

        asyncio.run(sign_in_all())
        _lua_accounts(accounts, lua)
        mixed = wrk.mixed(
            server.base, seconds=cfg.load_seconds, clients=cfg.clients, accounts=lua, ledger=ledger
        )
    log = server.log_text()
    tally = _ledger(ledger)
    lost = asyncio.run(_lost_writes(url, data_dir, tally))
    sweep = (
        pool.sweep(cfg, url, data_dir, work, lua) if slug == "postgresql" and cfg.pg_pools else []
    )
    print(
        f"  {label}: {mixed.rps:.0f} req/s mixed (p99 {mixed.latency_ms.get(99)} ms), trivial "
        f"app {floor.rps:.0f} req/s (p99 {floor.latency_ms.get(99)} ms); statuses "
        f"{dict(tally.statuses)}",
        flush=True,
    )
    return _figures(cfg, label, floor, mixed, tally, lost, log) + sweep


def trivial_floor(cfg: Config, work: Path, workers: int) -> WrkResult:
    """The trivial app under as many uvicorn processes as Kith, the same wrk connections."""
    with trivial_server(work / "logs" / f"load-trivial-{workers}w.log", workers) as base:
        wrk.run(base + "/", seconds=1, connections=cfg.clients, threads=cfg.clients)
        return wrk.run(
            base + "/",
            seconds=cfg.load_baseline_seconds,
            connections=cfg.clients,
            threads=cfg.clients,
        )


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
                goal=Goal.runs(),
                note=f"{type(exc).__name__}: {exc}",
            )
        )
    return figures
