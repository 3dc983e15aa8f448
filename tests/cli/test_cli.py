"""The `kith` command line, run as a user would: real processes, a real server, a temp database."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
KITH = str(ROOT / ".venv" / "bin" / "kith")
CORPUS_FILE = ROOT / "tests" / "data" / "csv" / "google-csv-2024-labeled-constructed.csv"
VCF = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    port = free_port()
    return {
        **os.environ,
        "KITH_DATABASE_URL": f"sqlite:///{tmp_path}/kith.sqlite3",
        "KITH_DATA_DIR": str(tmp_path / "data"),
        "KITH_BASE_URL": f"http://127.0.0.1:{port}",
        "KITH_PORT": str(port),
        "KITH_RUN_SCHEDULER": "0",
        "KITH_PASSWORD": "correct-horse-battery",
    }


def kith(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([KITH, *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[str]:
    proc = subprocess.Popen(
        [KITH, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = env["KITH_BASE_URL"]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("kith serve did not come up within 60 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_end_to_end_through_the_cli_the_feed_says_reconnect_with_that_contact(env, server):
    kith(env, "user", "add", "me@example.com")
    out = kith(env, "import", str(VCF), "--user", "me@example.com").stdout
    assert "2 new" in out
    long_ago = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=200)).isoformat()
    kith(
        env,
        "log",
        "--user",
        "me@example.com",
        "--contact",
        "jane.doe@example.com",
        "--kind",
        "coffee",
        "--on",
        long_ago,
    )
    out = kith(env, "nightly", "--user", "me@example.com").stdout
    assert "reminders placed" in out
    url = kith(env, "feed-url", "--user", "me@example.com").stdout.strip()
    assert url.startswith(server) and url.endswith("/kith.ics")
    r = httpx.get(url, timeout=30)
    assert r.status_code == 200
    assert "SUMMARY:Reconnect with Jane Doe" in r.text
    rotated = kith(env, "feed-url", "--user", "me@example.com", "--rotate").stdout.strip()
    assert rotated != url
    assert httpx.get(url, timeout=30).status_code == 404
    assert httpx.get(rotated, timeout=30).status_code == 200


def test_make_run_style_serve_prints_the_url_and_how_to_create_the_first_account(env):
    proc = subprocess.Popen(
        [KITH, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert f"serving on {env['KITH_BASE_URL']}" in lines[0]
    assert "kith user add" in lines[1]


def test_dry_run_json_needs_no_database_and_matches_the_contract(tmp_path: Path):
    env = {**os.environ, "KITH_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    done = subprocess.run(
        [KITH, "import", str(CORPUS_FILE), str(VCF), "--dry-run", "--json", "--region", "US"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [Path(f["path"]).name for f in doc["files"]] == [CORPUS_FILE.name, VCF.name]
    keys = {
        "source_uid",
        "full_name",
        "given_name",
        "family_name",
        "emails",
        "phones",
        "organization",
        "title",
        "birthday",
        "note",
        "groups",
        "urls",
        "connected_on",
    }
    for f in doc["files"]:
        assert set(f) == {"path", "format", "contacts", "issues"}
        for c in f["contacts"]:
            assert set(c) == keys


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff" * 100, "binary"),
        (b"just some words\nand more\n", "not a"),
    ],
    ids=["empty", "binary", "wrong-format"],
)
def test_an_unreadable_file_is_one_clear_line_and_exit_1(
    tmp_path: Path, content: bytes, words: str
):
    path = tmp_path / "file.vcf"
    path.write_bytes(content)
    done = subprocess.run(
        [KITH, "import", str(path), "--dry-run", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in done.stderr


def test_user_errors_are_one_line_never_a_traceback(env):
    done = kith(
        env, "log", "--user", "ghost@example.com", "--contact", "x", "--kind", "coffee", check=False
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "kith: no account for ghost@example.com; create it with: kith user add ghost@example.com"
    ]
    done = kith(env, "import", "/no/such/file.vcf", "--dry-run", check=False)
    assert done.returncode == 1 and "no such file" in done.stderr and "Traceback" not in done.stderr
    short = {**env, "KITH_PASSWORD": "short"}
    done = kith(short, "user", "add", "a@example.com", check=False)
    assert done.returncode == 1 and "at least 10 characters" in done.stderr


def test_export_restore_round_trips_and_backup_copies_the_database(env, tmp_path: Path):
    kith(env, "user", "add", "me@example.com")
    kith(env, "import", str(VCF), "--user", "me@example.com")
    kith(
        env,
        "log",
        "--user",
        "me@example.com",
        "--contact",
        "Ann Lee",
        "--kind",
        "call",
        "--note",
        "=cmd|' /C calc'!A0",
    )
    exported = kith(env, "export", "--user", "me@example.com", "--format", "json").stdout
    csv_out = kith(env, "export", "--user", "me@example.com", "--format", "csv").stdout
    assert "Jane Doe" in csv_out
    vcf = kith(env, "export", "--user", "me@example.com", "--format", "vcard").stdout
    assert vcf.count("BEGIN:VCARD") == 2
    backup = tmp_path / "copy.sqlite3"
    kith(env, "backup", str(backup))
    assert backup.stat().st_size > 0
    dump_file = tmp_path / "export.json"
    dump_file.write_text(exported)
    fresh = {**env, "KITH_DATABASE_URL": f"sqlite:///{tmp_path}/restored.sqlite3"}
    kith(fresh, "restore", str(dump_file))
    again = kith(fresh, "export", "--user", "me@example.com", "--format", "json").stdout
    assert json.loads(again) == json.loads(exported)
    done = kith(fresh, "restore", str(dump_file), check=False)
    assert done.returncode == 1 and "--replace" in done.stderr
    from_backup = {**env, "KITH_DATABASE_URL": f"sqlite:///{backup}"}
    assert json.loads(kith(from_backup, "export", "--user", "me@example.com").stdout) == json.loads(
        exported
    )
