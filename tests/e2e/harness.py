"""The e2e harness: a real `kith serve` on a free loopback port, an API client for seeding and
checking, and Debian's headless Chromium driven by Playwright (never `playwright install`).

The browser context is persistent (a temp profile): an incognito context makes Chromium report
the app as not installable ("in-incognito").
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
KITH = ROOT / ".venv" / "bin" / "kith"
PYTHON = ROOT / ".venv" / "bin" / "python"
# Debian's chromium; another path for another distribution's build via KITH_E2E_CHROMIUM.
CHROMIUM = Path(os.environ.get("KITH_E2E_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "test-results" / "screenshots"
PASSWORD = "correct-horse-battery"
# Flags from design/tech.md section 7: no sandbox as root, and no background traffic into the
# closed network (Chromium otherwise floods it with refused connections).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
]
PHONE = {"width": 360, "height": 740}


try:
    from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright
except ImportError:  # pragma: no cover - playwright is a dev dependency; conftest skips then
    sync_playwright = None  # type: ignore[assignment]
    BrowserContext = Page = Playwright = Any  # type: ignore[misc,assignment]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# `kith serve` with web/ swapped for a copy the test may edit (to deploy a "new version").
SERVE_WITH_WEB_DIR = """
import sys
from pathlib import Path
import api.app, api.routes.web
api.app.WEB_DIR = api.routes.web.WEB_DIR = Path(sys.argv[1])
from api.cli import main
sys.exit(main(["serve", "--host", "127.0.0.1", "--port", sys.argv[2]]))
"""


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    log_path: Path
    _ready: queue.Queue[str] = field(default_factory=queue.Queue)
    _stop: threading.Event = field(default_factory=threading.Event)
    _maker: threading.Thread | None = None
    _serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def _create(self) -> str:
        email = f"user{next(self._serial)}-{uuid.uuid4().hex[:6]}@example.com"
        env = {**self.env, "KITH_PASSWORD": PASSWORD}
        done = subprocess.run(
            [str(KITH), "user", "add", email], env=env, capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode()
        return email

    def prepare_users(self, n: int) -> None:
        """Make `n` accounts in the background while the first tests run: each `kith user add`
        is a Python start-up plus an argon2 hash, seconds on a busy two-core machine."""

        def work() -> None:
            for _ in range(n):
                if self._stop.is_set():
                    return
                self._ready.put(self._create())

        self._maker = threading.Thread(target=work, daemon=True)
        self._maker.start()

    def add_user(self) -> str:
        """A fresh account made by `kith user add` (password from KITH_PASSWORD)."""
        if self._maker is not None and (self._maker.is_alive() or not self._ready.empty()):
            return self._ready.get(timeout=180)
        return self._create()

    def stop(self) -> None:
        self._stop.set()
        if self._maker is not None:
            self._maker.join(timeout=120)


@contextmanager
def running_server(web_dir: Path | None = None, users: int = 0) -> Iterator[Server]:
    """`kith serve` on a free loopback port with a temp SQLite database, no nightly scheduler."""
    tmp = Path(tempfile.mkdtemp(prefix="kith-e2e-"))
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KITH_DATABASE_URL": f"sqlite:///{tmp}/kith.sqlite3",
        "KITH_DATA_DIR": str(tmp),
        "KITH_RUN_SCHEDULER": "0",
        # The test files import inline; a generated 64 kB+ file is queued (a background job).
        "KITH_IMPORT_INLINE_MAX_BYTES": str(64 * 1024),
        "KITH_SOURCE_ROOTS": tempfile.gettempdir(),  # the folder-source test drops files in tmp
        "KITH_BASE_URL": base_url,
        "KITH_SECRET_KEY": "e2e-secret-key-not-for-production",
    }
    if web_dir is None:
        cmd = [str(KITH), "serve", "--host", "127.0.0.1", "--port", str(port)]
    else:
        cmd = [str(PYTHON), "-c", SERVE_WITH_WEB_DIR, str(web_dir), str(port)]
    log_path = tmp / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    server = Server(base_url, env, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"kith serve exited early:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"kith serve did not answer /health:\n{log_path.read_text()}")
            time.sleep(0.1)
        if users:
            server.prepare_users(users)
        yield server
    finally:
        server.stop()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


class Api:
    """The JSON API as the test's own client: seeding data and checking what was stored."""

    def __init__(self, base_url: str, email: str) -> None:
        self.email = email
        self.client = httpx.Client(base_url=base_url, timeout=30)
        r = self.client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        self.client.get("/api/auth/me")
        self.client.headers["x-csrftoken"] = self.client.cookies["csrftoken"]

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: Any = None) -> Any:
        r = self.client.post(path, json=body if body is not None else {})
        r.raise_for_status()
        return r.json()

    def circle_id(self, name: str) -> int:
        return next(c["id"] for c in self.get("/api/circles") if c["name"] == name)

    def add_due_contact(self, name: str, *, days_ago: int = 200, circle: str = "Friends") -> int:
        """A contact in `circle` whose last coffee was long ago, so it is due (or nearly)."""
        contact = self.post(
            "/api/contacts", {"full_name": name, "circle_id": self.circle_id(circle)}
        )
        on = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days_ago)).isoformat()
        self.post(
            f"/api/contacts/{contact['id']}/interactions",
            {"kind": "coffee", "on": on, "idempotency_key": str(uuid.uuid4())},
        )
        return int(contact["id"])

    def close(self) -> None:
        self.client.close()


@dataclass
class Session:
    """One signed-in user: the API client, the browser context and its page."""

    server: Server
    email: str
    api: Api
    context: BrowserContext
    page: Page
    dialogs: list[str]
    csp_violations: list[str]

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def sign_in(self) -> None:
        page = self.page
        page.goto(self.base_url + "/")
        page.get_by_label("Email").fill(self.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("[data-screen=today]")

    def go(self, hash_: str, screen: str) -> None:
        """Open a screen by its hash and wait until it has rendered (not the previous one)."""
        self.page.evaluate("h => { location.hash = h }", hash_)
        self.page.wait_for_selector(f'body[data-route="{hash_}"] [data-screen={screen}]')

    def wait_for_service_worker(self) -> None:
        self.page.wait_for_function(
            "() => navigator.serviceWorker.controller !== null", timeout=20000
        )

    def screenshot(self, name: str) -> Path:
        """What the phone shows (360x740), plus the whole scrolled page as `<name>-full.png`."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(path))
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}-full.png"), full_page=True)
        return path


def open_context(
    playwright: Playwright,
    *,
    color_scheme: str = "light",
    viewport: dict[str, int] = PHONE,
    timezone_id: str = "UTC",
) -> tuple[BrowserContext, str]:
    profile = tempfile.mkdtemp(prefix="kith-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile,
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        headless=True,
        viewport=viewport,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        service_workers="allow",
        color_scheme=color_scheme,  # type: ignore[arg-type]
        locale="en-GB",
        timezone_id=timezone_id,
    )
    context.set_default_timeout(15000)
    # expect() has its own 5 s default: a condition wait, so a longer bound only matters on a slow
    # or shared machine, where a replay to a busy server can take longer than that.
    from playwright.sync_api import expect

    expect.set_options(timeout=15000)
    return context, profile
