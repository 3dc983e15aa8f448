"""Real processes around one real PostgreSQL database: `kith worker`s, `kith serve`s, and the
accounts and folder sources they work on (synthetic vCards, written here)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
KITH = ROOT / ".venv" / "bin" / "kith"
PASSWORD = "correct-horse-battery"

# Creates the accounts (nightly hour 0 in UTC: all due now) with one folder source each.
POPULATE = """
import asyncio, sys
from api import db
from api.settings import Settings
from api.services.sources import create_source
from api.services.users import create_user
from api.db.tables import User

async def main(count, drops):
    settings = Settings.from_env()
    db.configure(settings)
    await db.start_pool(settings)
    try:
        for n in range(count):
            user = await create_user(f"user{n}@example.com", sys.argv[3])
            await create_source(user.id, "folder", f"{drops}/{n}")
        await User.update({User.nightly_hour: 0}, force=True).run()
    finally:
        await db.close_pool()

asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""


def vcards(user: int, count: int) -> bytes:
    cards = []
    for n in range(count):
        cards.append(
            "BEGIN:VCARD\r\nVERSION:3.0\r\n"
            f"UID:user{user}-person{n}\r\nFN:Person {n} Of{user}\r\nN:Of{user};Person {n};;;\r\n"
            f"EMAIL;TYPE=INTERNET:person{n}.of{user}@example.org\r\nEND:VCARD\r\n"
        )
    return "".join(cards).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One scratch database; the processes started on it are stopped by `close`."""

    def __init__(self, server_url: str, folder: Path, name: str) -> None:
        self.server_url = server_url
        self.name = name
        self.url = server_url.rsplit("/", 1)[0] + "/" + name
        self.folder = folder
        self.drops = folder / "drop"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ports: list[int] = []
        self.logs: list[Any] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KITH_")},
            "KITH_DATABASE_URL": self.url,
            "KITH_DATA_DIR": str(folder / "data"),
            "KITH_SECRET_KEY": "queue-test-secret",
            "KITH_SOURCE_ROOTS": str(self.drops),
            "KITH_NIGHTLY_TICK_SECONDS": "2",
            "KITH_LOGIN_ATTEMPTS": "1000",
            "KITH_SOURCE_ALLOW_HOSTS": "127.0.0.1:1",
            "KITH_PASSWORD": PASSWORD,
            "PYTHONPATH": str(ROOT),
        }

    async def create(self, users: int, cards: int) -> None:
        await admin(self.server_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        await admin(self.server_url, f"CREATE DATABASE {self.name}")
        self.kith("migrate")
        for n in range(users):
            (self.drops / str(n)).mkdir(parents=True)
            (self.drops / str(n) / "contacts.vcf").write_bytes(vcards(n, cards))
        code = [sys.executable, "-c", POPULATE, str(users), str(self.drops), PASSWORD]
        subprocess.run(code, env=self.env, check=True, cwd=self.folder)

    def kith(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KITH), *args],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            check=check,
            timeout=600,
        )

    def start_worker(self) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"worker{len(self.procs)}.log", "wb")  # noqa: SIM115
        self.logs.append(log)
        proc = subprocess.Popen(
            [str(KITH), "worker"],
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        self.procs.append(proc)
        return proc

    def start_server(self, *, wait: bool = True) -> int:
        """A `kith serve`; `wait` False returns at once (`wait_for_servers` later), so servers
        and workers start side by side instead of one after another."""
        port = free_port()
        proc = subprocess.Popen(
            [str(KITH), "serve", "--port", str(port)],
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        self.ports.append(port)
        if wait:
            self.wait_for_servers()
        return port

    def wait_for_servers(self) -> None:
        for port in self.ports:
            wait_for(lambda p=port: _answers(p), 120, f"kith serve on port {port}")

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def wait_until(self, sql: str, want: Callable[[Any], bool], seconds: float) -> Any:
        """Poll `sql` until `want` holds. `seconds` is how long the value may stay the same: a
        slower machine takes longer but keeps moving, a stuck queue stops moving and fails."""
        deadline = time.monotonic() + seconds
        last: Any = object()
        while True:
            value = (await self.query(sql))[0][0]
            if want(value):
                return value
            if value != last:
                last, deadline = value, time.monotonic() + seconds
            if time.monotonic() > deadline:
                raise AssertionError(f"still {value!r}, unchanged for {seconds} s: {sql}")
            await asyncio.sleep(1)

    async def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()
        await admin(self.server_url, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    async def imports_of(self, user: int) -> tuple[int, list[dict[str, Any]]]:
        """(contacts, import runs) of one user, through the API of one of the servers."""
        port = self.ports[user % len(self.ports)]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            r = await c.post(
                "/api/auth/login", json={"email": f"user{user}@example.com", "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            contacts = (await c.get("/api/contacts", params={"limit": 1})).json()["total"]
            runs = (await c.get("/api/imports")).json()
        return int(contacts), runs


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not ready after {seconds} s")
        time.sleep(0.3)


async def admin(server_url: str, statement: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
