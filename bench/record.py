"""`python -m bench.record`: the strength section's record_interaction figure alone, for
working on it: a copy of a cached 5,000-contact / 500,000-interaction book (built and scored
nightly once, into bench/out/), N calls on random contacts, then the raw INSERT baseline, the
same way bench/strength.py times them; `--profile` adds a cProfile of the calls."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import os
import pstats
import random
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from api.db.tables import Interaction
from api.services.interactions import NewInteraction, record_interaction
from api.services.strength import refresh_user
from api.services.users import find_user
from bench.common import ROOT, database, percentile, settings_for, sqlite_url
from bench.gen import (
    KINDS,
    add_contacts,
    bulk_interactions_sqlite,
    circle_ids,
    new_user,
    pick_circles,
)

EMAIL = "strength@bench.example"
INSERT = (
    'INSERT INTO interaction ("user", contact, kind, at, source, created_at) '
    "VALUES ({}, {}, 'call', {}, 'bench', {})"
)


async def _build(path: Path, contacts: int, interactions: int) -> None:
    rng = random.Random(0)
    now = dt.datetime.now(dt.UTC)
    async with database(settings_for(sqlite_url(path), path.parent / "record-data")):
        user = await new_user(EMAIL)
        circles = await circle_ids(user.id)
        places = [circles.get(name) if name else None for name in pick_circles(contacts, rng)]
        ids = await add_contacts(user.id, places, rng, now)
        bulk_interactions_sqlite(path, user.id, ids, interactions, rng, now)
        await refresh_user(user, now)  # as the bench: scored nightly before anything is logged


async def _run(book: Path, calls: int, seed: int, profile: bool) -> None:
    work = book.with_name("record-run.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copy(book, work)
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    prof = cProfile.Profile() if profile else None
    async with database(settings_for(sqlite_url(work), book.parent / "record-data")):
        user = await find_user(EMAIL)
        rows = await Interaction.raw(
            'SELECT DISTINCT contact FROM interaction WHERE "user" = {}', user.id
        ).run()
        ids = [r["contact"] for r in rows]
        targets = [rng.choice(ids) for _ in range(calls)]
        logged = []
        for i, cid in enumerate(targets):
            item = NewInteraction(kind=rng.choice(KINDS), at=now, key=f"bench-log-{i}")
            if prof:
                prof.enable()
            start = time.perf_counter()
            await record_interaction(user, cid, item, now)
            logged.append((time.perf_counter() - start) * 1000)
            if prof:
                prof.disable()
        plain = []
        for cid in targets:
            start = time.perf_counter()
            await Interaction.raw(INSERT, user.id, cid, now, now).run()
            plain.append((time.perf_counter() - start) * 1000)
    figures = {p: (percentile(logged, p) or 0.0, percentile(plain, p) or 0.0) for p in (50, 95)}
    for p, (value, base) in figures.items():
        print(f"p{p}: record_interaction {value:.3f} ms, INSERT {base:.3f} ms, {value / base:.2f}x")
    print(f"load average {os.getloadavg()[0]:.2f}")
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(40)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.record", description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument("--interactions", type=int, default=500_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--rebuild", action="store_true", help="build the cached book again")
    args = parser.parse_args(argv)
    book = ROOT / "bench" / "out" / f"record-{args.contacts}-{args.interactions}.sqlite3"
    if args.rebuild or not book.exists():
        book.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{book}{suffix}").unlink(missing_ok=True)
        asyncio.run(_build(book, args.contacts, args.interactions))
    asyncio.run(_run(book, args.calls, args.seed, args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
