"""Issue 3: parsing speed against vobject, first import, re-import and peak memory of 50,000 cards.

Imports run in a subprocess (`bench.import_child`: the real `kith import` with phase timers), so
their time and peak memory are their own (bench/child.py). A first import that outlives
`import_timeout` is stopped and reported as a lower bound, with the phase it was in and, when
that is the merge-suggestion pass, how far it got; the rest of the benchmark still runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import sqlite3
import time
from pathlib import Path

from api.db.tables import Contact
from api.jsonutil import dump
from bench.child import ChildRun, committed, run_child
from bench.common import PYTHON, SECRET, Config, database, settings_for, sqlite_url
from bench.gen import new_user, vcard_file
from bench.results import Figure, Goal
from pipeline.formats.dispatch import parse_export
from pipeline.models import ContactRecord

EMAIL = "importer@bench.example"


def _contact_rows(records: list[ContactRecord], now: dt.datetime) -> list[tuple[object, ...]]:
    """Rows as wide as the contact table, from the same parsed records Kith stores."""
    stamp = str(now)
    names = [c._meta.db_column_name for c in Contact._meta.columns if c._meta.name != "id"]
    rows = []
    for r in records:
        values: dict[str, object] = {
            "user": 1,
            "full_name": r.full_name,
            "given_name": r.given_name,
            "family_name": r.family_name,
            "organization": r.organization,
            "title": r.title,
            "birthday": r.birthday,
            "note": r.note,
            "emails": dump(list(r.emails)),
            "phones": dump(list(r.phones)),
            "urls": dump(list(r.urls)),
            "groups": dump(list(r.groups)),
            "edited_fields": "[]",
            "source": "file:vcard:bench.vcf",
            "created_at": stamp,
            "updated_at": stamp,
        }
        rows.append(tuple(values.get(n) for n in names))
    return rows


def raw_insert_seconds(records: list[ContactRecord], path: Path) -> float:
    """Baseline: stdlib sqlite3 executemany of the same rows into a same-width table, one commit."""
    names = [c._meta.db_column_name for c in Contact._meta.columns if c._meta.name != "id"]
    rows = _contact_rows(records, dt.datetime.now(dt.UTC))
    cols = ", ".join(f'"{n}"' for n in names)
    start = time.perf_counter()
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"CREATE TABLE scratch (id INTEGER PRIMARY KEY, {cols})")
        with conn:
            marks = ", ".join("?" for _ in names)
            conn.executemany(f"INSERT INTO scratch ({cols}) VALUES ({marks})", rows)
    finally:
        conn.close()
    return time.perf_counter() - start


def parse_seconds(raw: bytes) -> tuple[float, float, int, int]:
    """(wall, CPU, contacts, issues) of Kith's parse_export."""
    start, cpu = time.perf_counter(), time.process_time()
    result = parse_export(raw, region="US")
    return (
        time.perf_counter() - start,
        time.process_time() - cpu,
        len(result.contacts),
        len(result.issues),
    )


def vobject_seconds(raw: bytes) -> tuple[float, float, int]:
    """(wall, CPU, cards) of vobject.readComponents over the same file."""
    import vobject

    text = raw.decode("utf-8")  # decoding is left out of vobject's time: a head start for it
    start, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in vobject.readComponents(text, allowQP=True))
    return time.perf_counter() - start, time.process_time() - cpu, count


def _count(path: Path, sql: str) -> int | None:
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _describe(run: ChildRun, db_path: Path) -> str:
    phases = ", ".join(f"{p} {s:.1f} s" for p, s in run.phase_seconds().items())
    text = f"CPU {run.cpu_seconds:.1f} s of {run.seconds:.1f} s wall; phases (wall): "
    text += phases or "none finished"
    pairs = run.items("merge_suggestions")
    if pairs is not None:
        text += f"; merge_suggestions found {pairs:,} pairs"
    if run.timed_out:
        running = run.running_phase()
        where = f"{running[0]} (running {running[1]:.0f} s)" if running else "start-up"
        text += f"; STOPPED after {run.seconds:.0f} s in {where}"
        written = _count(db_path, "SELECT count(*) FROM merge_suggestion")
        found_at = run.ended_at("merge_suggestions")
        if running and running[0] == "refresh_suggestions" and written and pairs and found_at:
            rate = written / max(1e-3, (run.stopped_at or found_at) - found_at)
            text += (
                f", {written:,} of {pairs:,} suggestion rows written one INSERT at a time "
                f"({rate:.0f}/s: the rest would take about {(pairs - written) / rate / 60:.0f}"
                " more minutes at that rate)"
            )
    elif run.code:
        text += f"; exit {run.code}: {run.stderr.strip()[-300:]}"
    return text


def _one_card_import(work: Path, child: list[str]) -> ChildRun:
    """The memory baseline: the same import command and service, one card, a fresh account."""
    tiny = work / "one-card.vcf"
    tiny.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\nEND:VCARD\r\n")
    url = sqlite_url(work / "one-card.sqlite3")

    async def make_user() -> None:
        async with database(settings_for(url, work / "import-data")):
            await new_user(EMAIL)

    asyncio.run(make_user())
    env = _env(url, work)
    events = work / "one-card.events"
    args = [*child, str(events), "import", str(tiny), "--user", EMAIL]
    return run_child(args, env, 120, events)


def _env(url: str, work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KITH_DATABASE_URL": url,
        "KITH_DATA_DIR": str(work / "import-data"),
        "KITH_SECRET_KEY": SECRET,
    }


def _first_import(cfg: Config, work: Path, n: int) -> ChildRun:
    """A first `kith import` of a generated n-card file into a fresh account and database."""
    path = vcard_file(n, cfg.seed, cfg.out_dir)
    url = sqlite_url(work / f"first-{n}.sqlite3")

    async def make_user() -> None:
        async with database(settings_for(url, work / "import-data")):
            await new_user(EMAIL)

    asyncio.run(make_user())
    events = work / f"first-{n}.events"
    timeout = cfg.import_timeout * max(1.0, n / max(1, cfg.cards))
    args = [PYTHON, "-m", "bench.import_child", str(events), "import", str(path), "--user", EMAIL]
    got = run_child(args, _env(url, work), timeout, events, hard_limit=timeout * 3)
    print(f"  first import of {n:,}: {got.seconds:.1f} s, {got.max_rss_mb:.0f} MB", flush=True)
    return got


def scale_figures(cfg: Config, work: Path, at_n: ChildRun) -> list[Figure]:
    """Issue 13: the peak at the large size against the peak at `cfg.cards` (bounded, not
    linear), and the first-import time per card at the large size against the small one."""
    large, small = cfg.cards_large, cfg.cards_small
    big = _first_import(cfg, work, large)
    little = _first_import(cfg, work, small)
    stopped = "LOWER BOUND, the run was stopped; " if big.timed_out else ""
    return [
        Figure(
            f"import: peak memory of a first import of {large:,} cards",
            big.max_rss_mb,
            "MB",
            f"the peak of the {cfg.cards:,}-card first import",
            at_n.max_rss_mb,
            Goal.ratio_at_most(1.5),
            note=stopped + f"VmHWM as above; {_describe(big, work / f'first-{large}.sqlite3')}",
            lower_bound=big.timed_out,
        ),
        Figure(
            f"import: first-import wall time per card at {large:,} cards",
            big.seconds / large * 1000,
            "ms/card",
            f"per card at {small:,} cards",
            little.seconds / small * 1000,
            Goal.ratio_at_most(1.25),
            note=stopped + f"whole process: {big.seconds:.1f} s for {large:,}, "
            f"{little.seconds:.1f} s for {small:,} (start-up included in both)",
            lower_bound=big.timed_out,
        ),
    ]


def run(cfg: Config, work: Path) -> list[Figure]:
    path = vcard_file(cfg.cards, cfg.seed, cfg.out_dir)
    raw = path.read_bytes()
    n = cfg.cards
    print(f"  {n:,} cards, {len(raw) / 1e6:.1f} MB: {path}", flush=True)
    kith_s, kith_cpu, parsed, issues = parse_seconds(raw)
    print(
        f"  parse_export: {kith_s:.2f} s wall, {kith_cpu:.2f} s CPU "
        f"({parsed:,} contacts, {issues} issues)",
        flush=True,
    )
    vob_s, vob_cpu, vob_count = vobject_seconds(raw)
    print(
        f"  vobject:      {vob_s:.2f} s wall, {vob_cpu:.2f} s CPU ({vob_count:,} cards)", flush=True
    )
    # Both parsers are single-threaded and in this process, so CPU time is the fair measure on a
    # machine shared with other work (wall time also counts the time others held the CPU).
    figures = [
        Figure(
            f"import: parse+normalize {n:,} vCard 3.0 cards (parse_export), per CPU second",
            parsed / kith_cpu,
            "cards/s",
            "vobject.readComponents",
            vob_count / vob_cpu,
            Goal.ratio_at_least(10),
            note=f"CPU: kith {kith_cpu:.2f} s for {parsed:,} contacts ({issues} issues), vobject "
            f"{vob_cpu:.2f} s for {vob_count:,} cards (decoding excluded); by wall time kith "
            f"{kith_s:.2f} s, vobject {vob_s:.2f} s = {vob_s / kith_s:.2f}x",
        )
    ]
    records = parse_export(raw, region="US").contacts
    base_s = raw_insert_seconds(records, work / "scratch.sqlite3")
    del records

    db_path = work / "import.sqlite3"
    url = sqlite_url(db_path)

    async def make_user() -> None:
        async with database(settings_for(url, work / "import-data")):
            await new_user(EMAIL)

    asyncio.run(make_user())
    env = _env(url, work)
    child = [PYTHON, "-m", "bench.import_child"]
    args = ["import", str(path), "--user", EMAIL]
    first = run_child(
        [*child, str(work / "first.events"), *args],
        env,
        cfg.import_timeout,
        work / "first.events",
        hard_limit=cfg.import_timeout * 3,
    )
    print(f"  first import: {first.seconds:.1f} s, {first.max_rss_mb:.0f} MB", flush=True)
    figures.append(
        Figure(
            f"import: first import of {n:,} cards into SQLite (kith import)",
            first.seconds,
            "s",
            "parse_export alone (in-process, wall)",
            kith_s,
            Goal.ratio_at_most(2.0),
            note=("LOWER BOUND, the run was stopped; " if first.timed_out else "")
            + "wall time of the whole `kith import` process (api.cli.main run by "
            f"bench.import_child, which adds phase timers); {_describe(first, db_path)}; "
            f"for scale: sqlite3 executemany of {n:,} same-width rows took {base_s:.2f} s",
            lower_bound=first.timed_out,
        )
    )
    stored = _count(db_path, "SELECT count(*) FROM contact")
    runs = [first]
    if first.code == 0 or committed(first.events):
        again = run_child(
            [*child, str(work / "again.events"), *args],
            env,
            cfg.import_timeout,
            work / "again.events",
        )
        runs.append(again)
        print(f"  re-import:    {again.seconds:.1f} s, {again.max_rss_mb:.0f} MB", flush=True)
        counts = re.search(r"\d+ new, .*? interactions", again.stdout)
        figures.append(
            Figure(
                f"import: re-import of the unchanged {n:,}-card file",
                again.seconds,
                "s",
                "parse_export alone (in-process, wall)",
                kith_s,
                Goal.ratio_at_most(1.3),
                note=("LOWER BOUND, the run was stopped; " if again.timed_out else "")
                + f"kith import said: {counts.group(0) if counts else again.stdout.strip()[:200]}"
                + f"; {_describe(again, db_path)}",
                lower_bound=again.timed_out,
            )
        )
    else:
        figures.append(
            Figure(
                f"import: re-import of the unchanged {n:,}-card file",
                None,
                "s",
                "parse_export alone (in-process, wall)",
                kith_s,
                Goal.ratio_at_most(1.3),
                note=f"not measured: the first import did not commit ({stored} contacts stored)",
            )
        )
    figures += scale_figures(cfg, work, first)
    idle = _one_card_import(work, child)
    peak = max(runs, key=lambda r: r.max_rss_mb)
    figures.append(
        Figure(
            f"import: peak memory of the {n:,}-card import process",
            peak.max_rss_mb,
            "MB",
            "the same command importing one card",
            idle.max_rss_mb,
            Goal.value_at_most(250, "MB"),
            note="VmHWM of the import subprocess read from /proc while it ran (not tracemalloc,"
            " not ru_maxrss, which on Linux includes the spawning process's peak); "
            + ("first import" if peak is first else "re-import")
            + (" (stopped early: a lower bound)" if peak.timed_out else "")
            + "; per run: "
            + ", ".join(f"{r.max_rss_mb:.0f} MB" for r in runs),
        )
    )
    return figures
