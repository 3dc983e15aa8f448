"""Crash safety: `kith import` killed with SIGKILL mid-write leaves the database as it was.

One file is one transaction (DESIGN.md section 4). A 50,000-card vCard 3.0 export is imported by
the real command line into a temporary SQLite database; once the import's write transaction has
started spilling pages into the WAL, the process is killed without any chance to clean up. The
committed data must be exactly what it was before, and a second run must import every card
exactly once.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KITH = str(ROOT / ".venv" / "bin" / "kith")
SMALL_VCF = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"
CARDS = 50_000
SPILL_BYTES = 4 * 1024 * 1024  # the write transaction has written this much into the WAL


def generate(n: int) -> bytes:
    """bench/vcard_gen.py when present (realistic Apple-style cards), else a plain generator."""
    try:
        from bench.vcard_gen import generate_vcards
    except ImportError:
        return "".join(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Person{i};Test;;;\r\nFN:Test Person{i}\r\n"
            f"EMAIL;TYPE=INTERNET:test.person{i}@example.com\r\nUID:crash-{i}\r\nEND:VCARD\r\n"
            for i in range(n)
        ).encode()
    return generate_vcards(n, seed=7)


def kith(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([KITH, *args], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return done


def snapshot(db: Path) -> dict[str, object]:
    """Row counts and the exact contact, key and interaction rows that are committed."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        out: dict[str, object] = {}
        for table in ("contact", "contact_key", "interaction", "follow_up", "reminder"):
            out[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        out["contacts"] = conn.execute("SELECT * FROM contact ORDER BY id").fetchall()
        out["keys"] = conn.execute("SELECT * FROM contact_key ORDER BY id").fetchall()
        out["interactions"] = conn.execute("SELECT * FROM interaction ORDER BY id").fetchall()
    return out


def import_runs(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT filename, status FROM import_run ORDER BY id").fetchall()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KITH_DATABASE_URL": f"sqlite:///{tmp_path}/kith.sqlite3",
        "KITH_DATA_DIR": str(tmp_path / "data"),
        "KITH_RUN_SCHEDULER": "0",
        "KITH_PASSWORD": "correct-horse-battery",
    }


def kill_mid_write(proc: subprocess.Popen[bytes], db: Path, timeout: float = 600) -> str:
    """SIGKILL `proc` once its import run is 'running' and the WAL has grown by SPILL_BYTES
    since then: the one write transaction is in the middle of writing rows."""
    wal = Path(f"{db}-wal")
    deadline = time.monotonic() + timeout
    baseline: int | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the import finished (exit {proc.returncode}) before it could be killed")
        running = any(status == "running" for _, status in import_runs(db))
        size = wal.stat().st_size if wal.exists() else 0
        if running and baseline is None:
            baseline = size
        if baseline is not None and size - baseline >= SPILL_BYTES:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return f"killed with {size - baseline} bytes of the transaction in the WAL"
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the import never started writing within the time limit")


@pytest.mark.slow
def test_an_import_killed_mid_write_changes_nothing_and_a_rerun_imports_each_card_once(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Path(env["KITH_DATABASE_URL"].removeprefix("sqlite:///"))
    big = tmp_path / "fifty-thousand-apple-cards.vcf"
    big.write_bytes(generate(CARDS))
    kith(env, "user", "add", "me@example.com")
    kith(env, "import", str(SMALL_VCF), "--user", "me@example.com")
    dry = kith(env, "import", str(big), "--dry-run").stdout
    found = re.search(r": vcard-3\.0, (\d+) records, (\d+) issues", dry)
    assert found, dry
    cards = int(found.group(1))
    assert cards == CARDS
    before = snapshot(db)
    assert before["contact"] == 2

    proc = subprocess.Popen(
        [KITH, "import", str(big), "--user", "me@example.com"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    how = kill_mid_write(proc, db)
    assert proc.returncode == -signal.SIGKILL, how

    after = snapshot(db)
    assert {k: after[k] for k in ("contact", "contact_key", "interaction")} == {
        k: before[k] for k in ("contact", "contact_key", "interaction")
    }, how
    assert after == before, "every committed row is exactly as it was"
    # The run row is written before the transaction, so the killed run stays 'running'.
    assert import_runs(db) == [
        ("iphone-3.0-jane-in-both-exports.vcf", "ok"),
        (big.name, "running"),
    ]

    expected_uids = cards + len(re.findall(rb"^UID:", SMALL_VCF.read_bytes(), re.MULTILINE))
    out = kith(env, "import", str(big), "--user", "me@example.com").stdout
    counts = re.search(r"vcard-3\.0: (\d+) new, (\d+) updated, (\d+) unchanged", out)
    assert counts, out
    new = int(counts.group(1))
    assert import_runs(db)[-1] == (big.name, "ok")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        uids = conn.execute(
            "SELECT count(*), count(DISTINCT value), count(DISTINCT contact) FROM contact_key "
            "WHERE kind = 'source-uid'"
        ).fetchone()
        contacts = conn.execute("SELECT count(*) FROM contact").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM contact WHERE id NOT IN "
            "(SELECT contact FROM contact_key WHERE kind = 'source-uid')"
        ).fetchone()[0]
    assert uids[0] == uids[1] == expected_uids, f"every card's UID exactly once: {uids}"
    # Cards that share an email or phone are one person (DESIGN.md section 4), so a contact
    # may hold several UIDs, but no card became two contacts and none was lost.
    assert contacts == before["contact"] + new and 0 < new <= cards, out
    assert uids[2] == contacts and orphans == 0, "each contact comes from at least one card"
    with capsys.disabled():
        print(f"\ncrash safety: {cards} cards; first run {how}; the re-run made {new} contacts")
