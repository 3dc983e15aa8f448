"""Issue 4: the nightly rescoring of 5,000 contacts with 500,000 interactions, and the latency of
logging one interaction (which rescores and re-places that contact), on SQLite."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from pathlib import Path

from api.db.tables import Interaction
from api.services import strength
from api.services.interactions import NewInteraction, record_interaction
from api.services.strength import refresh_user
from bench.common import Config, database, percentile, phase_timers, settings_for, sqlite_url
from bench.gen import KINDS, add_contacts, bulk_interactions_sqlite, circle_ids, new_user
from bench.gen import pick_circles as circles_for
from bench.results import Figure, Goal

# refresh_user is load -> plan -> save: the pure plan and the save are module globals, timed from outside.
PHASES = ("plan_reminders", "_save")
SELECT_EVENTS = (
    "SELECT id, contact, kind, at, attendee_count, direction, until, created_at "
    'FROM interaction WHERE "user" = {}'
)


def run(cfg: Config, work: Path) -> list[Figure]:
    return asyncio.run(_run(cfg, work))


async def _timed_select(user_id: int) -> float:
    start = time.perf_counter()
    rows = await Interaction.raw(SELECT_EVENTS, user_id).run()
    seconds = time.perf_counter() - start
    assert rows, "the baseline must read the rows"
    return seconds


async def _run(cfg: Config, work: Path) -> list[Figure]:
    path = work / "strength.sqlite3"
    rng = random.Random(cfg.seed)
    now = dt.datetime.now(dt.UTC)
    async with database(settings_for(sqlite_url(path), work / "strength-data")):
        start = time.perf_counter()
        user = await new_user("strength@bench.example")
        circles = await circle_ids(user.id)
        placement = [circles.get(name) if name else None for name in circles_for(cfg.contacts, rng)]
        ids = await add_contacts(user.id, placement, rng, now)
        bulk_interactions_sqlite(path, user.id, ids, cfg.interactions, rng, now)
        print(
            f"  setup: {len(ids):,} contacts, {cfg.interactions:,} interactions "
            f"in {time.perf_counter() - start:.1f} s",
            flush=True,
        )
        select_s = [await _timed_select(user.id)]
        nightly, breakdown = [], []
        for label in ("first", "second"):
            with phase_timers(strength, PHASES) as phases:
                start, cpu = time.perf_counter(), time.process_time()
                summary = await refresh_user(user, now)
                nightly.append(time.perf_counter() - start)
                cpu = time.process_time() - cpu
            rest = nightly[-1] - sum(phases.values())
            breakdown.append(
                f"CPU {cpu:.1f} s of {nightly[-1]:.1f} s wall; wall in "
                + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
                + f", queries and the rest {rest:.1f} s"
            )
            print(f"  refresh_user ({label}): {breakdown[-1]}; {summary}", flush=True)
        select_s.append(await _timed_select(user.id))
        base = min(select_s)
        figures = [
            Figure(
                f"strength: nightly refresh_user, {len(ids):,} contacts / "
                f"{cfg.interactions:,} interactions (first run)",
                nightly[0],
                "s",
                "plain SELECT of the same interaction rows",
                base,
                Goal.ratio_at_most(1.5),
                note=f"{breakdown[0]}; result {summary['placed']} placed, "
                f"{summary['backlog']} in the backlog",
            ),
            Figure(
                "strength: nightly refresh_user again (steady state)",
                nightly[1],
                "s",
                "plain SELECT of the same interaction rows",
                base,
                Goal.ratio_at_most(0.25),
                note=f"{breakdown[1]}; baseline: fastest of two raw SELECTs through the same "
                "Piccolo engine",
            ),
        ]
        targets = [rng.choice(ids) for _ in range(cfg.log_calls)]
        logged = []
        for i, cid in enumerate(targets):
            item = NewInteraction(kind=rng.choice(KINDS), at=now, key=f"bench-log-{i}")
            start = time.perf_counter()
            await record_interaction(user, cid, item, now)
            logged.append((time.perf_counter() - start) * 1000)
        plain = []
        for cid in targets:
            start = time.perf_counter()
            await Interaction.raw(
                'INSERT INTO interaction ("user", contact, kind, at, source, created_at) '
                "VALUES ({}, {}, 'call', {}, 'bench', {})",
                user.id,
                cid,
                now,
                now,
            ).run()
            plain.append((time.perf_counter() - start) * 1000)
    calls = f"{len(logged)} calls on random contacts, each with an idempotency key"
    figures += [
        Figure(
            "strength: record_interaction latency p50 (incl. rescore + reschedule)",
            percentile(logged, 50),
            "ms",
            "p50 plain single-row INSERT",
            percentile(plain, 50),
            None,
            note=calls,
        ),
        Figure(
            "strength: record_interaction latency p95 (incl. rescore + reschedule)",
            percentile(logged, 95),
            "ms",
            "p95 plain single-row INSERT",
            percentile(plain, 95),
            Goal.ratio_at_most(2.0),
            note=f"{calls}; baseline: Interaction.raw INSERT through the same engine "
            "(own connection and commit, as a write transaction has)",
        ),
    ]
    return figures
