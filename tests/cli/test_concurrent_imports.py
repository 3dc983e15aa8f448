"""One import per user at a time, across processes: two servers, or two `kith import` runs, given
the same file for one account at the same moment leave exactly the file's people, each with all
their keys (issue 16). Real `kith serve` and `kith import` processes on one database."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import PASSWORD, Kith
from tests.cli.test_serve import KITH, free_port

PEOPLE = 300
EMAIL = "me@example.com"


def google_csv(folder: Path, people: int = PEOPLE) -> Path:
    """A Google Contacts export: each person with two emails and a phone."""
    lines = [
        "First Name,Last Name,Labels,E-mail 1 - Label,E-mail 1 - Value,"
        "E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value"
    ]
    for i in range(people):
        lines.append(
            f"Person{i:03d},Example,* myContacts,* Home,p{i}@example.com,Work,p{i}@work.example,"
            f"Mobile,+1 415 555 {i:04d}"
        )
    path = folder / "contacts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def book(url: str) -> tuple[int, dict[str, int], list[int]]:
    """(contacts, keys by kind, keys per contact) straight from the database."""
    contacts_sql = "SELECT count(*) FROM contact WHERE NOT archived"
    kinds_sql = "SELECT kind, count(*) FROM contact_key GROUP BY kind"
    per_sql = (
        "SELECT count(k.id) FROM contact c LEFT JOIN contact_key k ON k.contact = c.id "
        "GROUP BY c.id"
    )
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            (contacts,) = conn.execute(contacts_sql).fetchone()
            kinds = dict(conn.execute(kinds_sql).fetchall())
            per = [r[0] for r in conn.execute(per_sql).fetchall()]
        return contacts, kinds, per

    async def read() -> tuple[int, dict[str, int], list[int]]:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            contacts = await conn.fetchval(contacts_sql)
            kinds = {r[0]: r[1] for r in await conn.fetch(kinds_sql)}
            per = [r[0] for r in await conn.fetch(per_sql)]
        finally:
            await conn.close()
        return contacts, kinds, per

    return asyncio.run(read())


def assert_exactly_the_files_people(url: str) -> None:
    contacts, kinds, per = book(url)
    assert contacts == PEOPLE
    # Google CSV rows carry no UID: the parser derives one per row (its source-uid key).
    assert kinds == {"email": 2 * PEOPLE, "phone": PEOPLE, "source-uid": PEOPLE}
    assert set(per) == {4}


def start_server(folder: Path, stack: ExitStack) -> str:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = stack.enter_context((folder / f"serve-{port}.log").open("wb"))
    env_port = {"KITH_PORT": str(port), "KITH_BASE_URL": base}
    proc = stack.enter_context(
        subprocess.Popen([KITH, "serve"], stdout=log, stderr=log, env={**os.environ, **env_port})
    )

    def stop() -> None:
        proc.terminate()
        proc.wait(timeout=30)

    stack.callback(stop)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return base
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"kith serve did not come up: {(folder / f'serve-{port}.log').read_text()}")


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=300)
    r = client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.get("/api/auth/me")  # sets the csrftoken cookie
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]
    return client


@pytest.fixture
def two_servers(kith: Kith, tmp_path: Path) -> Iterator[tuple[str, str]]:
    kith("user", "add", EMAIL)
    with ExitStack() as stack:
        yield start_server(tmp_path, stack), start_server(tmp_path, stack)


def upload_at_once(clients: list[httpx.Client], raw: bytes) -> list[httpx.Response]:
    start = threading.Barrier(len(clients))
    reports: list[httpx.Response] = []

    def upload(client: httpx.Client) -> None:
        start.wait()
        files = {"file": ("contacts.csv", raw, "text/csv")}
        reports.append(client.post("/api/imports", files=files))

    threads = [threading.Thread(target=upload, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return reports


def counts(report: dict[str, object]) -> tuple[int, int]:
    got = report["counts"]
    assert isinstance(got, dict)
    return got["new"], got["unchanged"]


def test_two_servers_importing_one_file_at_once_leave_its_people_once_with_all_their_keys(
    kith: Kith, two_servers: tuple[str, str], tmp_path: Path
):
    raw = google_csv(tmp_path).read_bytes()
    with ExitStack() as stack:
        clients = [signed_in(base) for base in two_servers]
        for client in clients:
            stack.callback(client.close)
        reports = upload_at_once(clients, raw)
    assert [r.status_code for r in reports] == [201, 201], [r.text for r in reports]
    bodies = [r.json() for r in reports]
    assert [b["status"] for b in bodies] == ["ok", "ok"]
    assert sorted(counts(b) for b in bodies) == [(0, PEOPLE), (PEOPLE, 0)]
    assert_exactly_the_files_people(os.environ["KITH_DATABASE_URL"])


def test_two_kith_import_processes_on_one_file_at_once_leave_its_people_once_with_all_keys(
    kith: Kith, tmp_path: Path
):
    kith("user", "add", EMAIL)
    raw = google_csv(tmp_path).read_bytes()
    # Each process reads its file from a named pipe: both have started (interpreter, imports)
    # and wait on the read, then get the bytes at the same moment, so their imports overlap.
    pipes = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        pipe = tmp_path / name / "contacts.csv"
        os.mkfifo(pipe)
        pipes.append(pipe)
    procs = [
        subprocess.Popen(
            [KITH, "import", str(pipe), "--user", EMAIL, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for pipe in pipes
    ]
    start = threading.Barrier(len(pipes))

    def feed(pipe: Path) -> None:
        with pipe.open("wb") as out:  # opens once the process reads
            start.wait()
            out.write(raw)

    threads = [threading.Thread(target=feed, args=(p,)) for p in pipes]
    for t in threads:
        t.start()
    outs = [p.communicate(timeout=300) for p in procs]
    for t in threads:
        t.join()
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    reports = [json.loads(out)["imports"][0] for out, _ in outs]
    assert [r["status"] for r in reports] == ["ok", "ok"], reports
    assert sorted(counts(r) for r in reports) == [(0, PEOPLE), (PEOPLE, 0)]
    assert_exactly_the_files_people(os.environ["KITH_DATABASE_URL"])
