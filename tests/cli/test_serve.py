"""`kith serve` as a real process: the URL it prints, a port in use, and the feed end to end."""

from __future__ import annotations

import datetime as dt
import importlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.cli import serve
from tests.cli.conftest import Kith

ROOT = Path(__file__).resolve().parents[2]
KITH = str(ROOT / ".venv" / "bin" / "kith")
VCF = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch, kith: Kith) -> int:
    """A free port, set as KITH_PORT and KITH_BASE_URL for the in-process runs and the server."""
    chosen = free_port()
    monkeypatch.setenv("KITH_PORT", str(chosen))
    monkeypatch.setenv("KITH_BASE_URL", f"http://127.0.0.1:{chosen}")
    return chosen


@pytest.fixture
def server(port: int, tmp_path: Path) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out, subprocess.Popen([KITH, "serve"], stdout=out, stderr=out) as proc:
        try:
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                pytest.fail(f"kith serve did not come up: {log.read_text()}")
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _first_lines(n: int) -> list[str]:
    with subprocess.Popen(
        [KITH, "serve"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        try:
            return [proc.stdout.readline() for _ in range(n)]
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_serve_prints_the_url_and_the_one_time_link_that_creates_the_first_account(
    kith: Kith, port: int
):
    lines = _first_lines(3)
    assert lines[0].startswith(f"Kith is serving on http://127.0.0.1:{port}  (database: ")
    link = kith("setup-link").out.strip()
    assert link.startswith(f"http://127.0.0.1:{port}/#/setup?code=")
    assert lines[1] == f"No account yet. Create the first one in the browser:  {link}\n"
    assert lines[2] == (
        "(this one-time link also comes from `kith setup-link`; "
        "or run .venv/bin/kith user add you@example.com)\n"
    )
    assert _first_lines(2)[1] == lines[1], "a restart prints the same link"


def test_serve_on_a_port_in_use_is_one_clear_line_and_exit_1(kith: Kith, port: int):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run([KITH, "serve"], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"kith: cannot listen on 127.0.0.1:{port}: address already in use; is another server "
        "running there? Choose another port with --port or KITH_PORT"
    ]


def test_end_to_end_the_feed_of_a_real_server_says_reconnect_with_that_contact(
    kith: Kith, server: str
):
    kith("user", "add", "me@example.com")
    assert "2 new" in kith("import", str(VCF), "--user", "me@example.com").out
    long_ago = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=200)).isoformat()
    who = ("--user", "me@example.com")
    kith("log", *who, "--contact", "jane.doe@example.com", "--kind", "coffee", "--on", long_ago)
    assert "reminders placed" in kith("nightly", *who).out
    url = kith("feed-url", *who).out.strip()
    assert url.startswith(server) and url.endswith("/kith.ics")
    r = httpx.get(url, timeout=30)
    assert r.status_code == 200
    assert "SUMMARY:Reconnect with Jane Doe" in r.text
    rotated = kith("feed-url", *who, "--rotate").out.strip()
    assert rotated != url
    assert httpx.get(url, timeout=30).status_code == 404
    assert httpx.get(rotated, timeout=30).status_code == 200


def test_the_factory_of_several_workers_names_a_function_that_builds_the_app():
    module, name = serve.APP_FACTORY.split(":")
    assert callable(getattr(importlib.import_module(module), name))


def test_the_listening_socket_is_tcp_so_each_connection_gets_tcp_nodelay():
    # asyncio sets TCP_NODELAY on accepted connections only for sockets whose proto is TCP;
    # without it a response in two segments waits for the client's delayed ACK.
    sock = serve.listen("127.0.0.1", 0)
    try:
        sock.listen()
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        with client, accepted:
            assert accepted.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


async def test_the_served_app_freezes_its_start_up_heap_once_started_and_a_test_app_does_not(
    clean_db,
):
    """`kith serve` builds its app with freeze_heap (api.app.freeze_startup_heap says why): once
    its start-up ran, the objects alive then are out of the cyclic collector's reach."""
    import gc

    from litestar.testing import AsyncTestClient

    from api.app import create_app

    if clean_db.engine != "sqlite":
        pytest.skip("no engine in it; the PostgreSQL fixture already holds the one pool")
    gc.unfreeze()
    try:
        plain = create_app(clean_db, migrate_on_start=False, start_scheduler=False)
        async with AsyncTestClient(plain) as client:
            assert (await client.get("/health")).status_code == 200
            assert gc.get_freeze_count() == 0
        served = create_app(
            clean_db, migrate_on_start=False, start_scheduler=False, freeze_heap=True
        )
        async with AsyncTestClient(served) as client:
            assert (await client.get("/health")).status_code == 200
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
