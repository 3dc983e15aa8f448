#!/usr/bin/env python3
"""`make audit`: Lighthouse (mobile) on the sign-in page, Today, a Contact and Calendar of a demo
account, with Debian's Chromium, plus the longest task on the first load of Today.

A real `kith serve` on a free loopback port with a fresh data folder and a `kith demo` account.
Results: test-results/audit/<page>.json (Lighthouse's report), longtasks.json, and summary.txt
(one line per page, also printed). The figures are benchmarks: nothing here fails on a slow
machine, it reports (exit 1 only when a run could not be made at all).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
KITH = ROOT / ".venv" / "bin" / "kith"
OUT = ROOT / "test-results" / "audit"
LIGHTHOUSE = ROOT / "tests" / "audit" / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = os.environ.get("KITH_E2E_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "demo-audit-password"
EMAIL = "demo@kith.local"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
    "--disable-background-networking --disable-component-update --disable-sync "
    "--no-first-run --disable-default-apps"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
GOALS = {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 90}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KITH_DATABASE_URL": f"sqlite:///{tmp}/kith.sqlite3",
        "KITH_DATA_DIR": str(tmp),
        "KITH_RUN_SCHEDULER": "0",
        "KITH_BASE_URL": base,
        "KITH_PASSWORD": PASSWORD,
    }
    print(f"audit: making the demo account in {tmp} ...", flush=True)
    subprocess.run([str(KITH), "demo", "--email", EMAIL], env=env, check=True, capture_output=True)
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(KITH), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base, env
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"audit: kith serve did not start:\n{(tmp / 'serve.log').read_text()}")


def sign_in(base: str) -> tuple[str, int]:
    """The demo account's session cookie, and a contact to audit (the first of Today's list)."""
    with httpx.Client(base_url=base, timeout=60) as c:
        c.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD}).raise_for_status()
        today = c.get("/api/today").json()
        people = today["due"] or today["upcoming"]
        contact = (
            people[0]["contact_id"] if people else c.get("/api/contacts").json()["items"][0]["id"]
        )
        return c.cookies["kith_session"], int(contact)


class SignedInChromium:
    """Chromium with a DevTools port and its own profile, the session cookie set through the
    DevTools protocol: Lighthouse's --extra-headers reach the page's navigation but not its
    fetch() calls, so the app would see a signed-out visitor. Lighthouse resets the origin's
    storage (service worker, caches) before each run but keeps cookies."""

    def __init__(self, base: str, cookie: str) -> None:
        self.port = free_port()
        self.profile = Path(tempfile.mkdtemp(prefix="kith-audit-chromium-"))
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                *CHROME_FLAGS.split(),
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/json/version", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("audit: chromium did not open its DevTools port") from None
                time.sleep(0.2)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{self.port}")
            browser.contexts[0].add_cookies(
                [{"name": "kith_session", "value": cookie, "url": base}]
            )

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)


def lighthouse(name: str, url: str, port: int | None) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    cmd = [
        "node",
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={path}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--form-factor=mobile",
        f"--only-categories={','.join(CATEGORIES)}",
        "--max-wait-for-load=60000",
    ]
    if port is not None:
        cmd.append(f"--port={port}")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not path.exists():
        raise SystemExit(f"audit: lighthouse failed on {name}:\n{done.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def check_signed_in(name: str, report: dict[str, Any], signed_in: bool) -> None:
    """The page audited is the one meant: a signed-in page loads /api/today or the like, not
    the sign-in screen's setup probe."""
    urls = [i["url"] for i in report["audits"]["network-requests"]["details"]["items"]]
    probed_setup = any("/api/auth/setup" in u for u in urls)
    if probed_setup == signed_in:
        state = "signed out" if signed_in else "signed in"
        raise SystemExit(f"audit: the {name} page was {state}: {urls}")


def summary_line(name: str, report: dict[str, Any]) -> str:
    scores = {k: round(100 * (report["categories"][k]["score"] or 0)) for k in CATEGORIES}
    audits = report["audits"]

    def ms(key: str) -> str:
        value = audits.get(key, {}).get("numericValue")
        return "?" if value is None else f"{value:.0f} ms"

    missed = [f"{k} {v}<{GOALS[k]}" for k, v in scores.items() if v < GOALS[k]]
    failing = [
        a["id"]
        for a in audits.values()
        if a.get("score") is not None
        and a["score"] < 1
        and a.get("scoreDisplayMode") in ("binary", "numeric")
        and any(
            a["id"] == ref["id"]
            for k in CATEGORIES
            if k != "performance"
            for ref in report["categories"][k]["auditRefs"]
            if ref.get("weight", 0) > 0
        )
    ]
    parts = ", ".join(f"{k} {v}" for k, v in scores.items())
    line = (
        f"{name}: {parts} (FCP {ms('first-contentful-paint')}, LCP "
        f"{ms('largest-contentful-paint')}, TBT {ms('total-blocking-time')}, CLS "
        f"{audits['cumulative-layout-shift']['numericValue']:.3f})"
    )
    if missed:
        line += f"  BELOW GOAL: {', '.join(missed)}"
    if failing:
        line += f"  failing audits: {', '.join(sorted(failing))}"
    return line


# Installed before the page's own scripts; read by polling, never through Playwright's selector
# engine, whose injected script would itself be a long task in the page being measured.
LONGTASKS_INIT = """window.__kithLong = [];
new PerformanceObserver(list => {
    for (const e of list.getEntries()) window.__kithLong.push(Math.round(e.duration));
}).observe({type: "longtask", buffered: true});"""
TODAY_READY = "!!document.querySelector('#view[aria-busy=false] [data-screen=today]')"
RUNS = 3


def longest_tasks(base: str, cookie: str) -> dict[str, Any]:
    """Long tasks (> 50 ms) during the first load of Today (a new browser context each run, so
    no service worker or cache), unthrottled and at 4x CPU slowdown (Lighthouse's mobile
    throttling), seen by the page's own PerformanceObserver until 3 s after Today rendered."""
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROME_FLAGS.split(), headless=True
        )
        for label, rate in (("unthrottled", 1), ("cpu-4x", 4)):
            runs = []
            for _ in range(RUNS):
                context = browser.new_context(
                    viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
                )
                context.add_cookies([{"name": "kith_session", "value": cookie, "url": base}])
                context.add_init_script(LONGTASKS_INIT)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
                page.goto(f"{base}/#/today", wait_until="commit")
                deadline = time.monotonic() + 60
                while not page.evaluate(TODAY_READY) and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(3)
                runs.append(
                    {
                        "long_tasks_ms": page.evaluate("window.__kithLong"),
                        "rows": page.evaluate("document.querySelectorAll('.person').length"),
                    }
                )
                context.close()
            longest = max((max(r["long_tasks_ms"], default=0) for r in runs), default=0)
            results[label] = {"runs": runs, "max_ms": longest}
        browser.close()
    return results


def main() -> int:
    if not LIGHTHOUSE.exists():
        print(
            "audit: lighthouse is missing: run `make audit` (npm ci in tests/audit)",
            file=sys.stderr,
        )
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    tmp = Path(tempfile.mkdtemp(prefix="kith-audit-"))
    proc, base, _ = start_server(tmp)
    try:
        cookie, contact = sign_in(base)
        pages = [
            ("signin", f"{base}/", False),
            ("today", f"{base}/#/today", True),
            ("contact", f"{base}/#/contact/{contact}", True),
            ("calendar", f"{base}/#/calendar", True),
        ]
        lines = []
        chromium = SignedInChromium(base, cookie)
        try:
            for name, url, signed_in in pages:
                print(f"audit: lighthouse on {name} ...", flush=True)
                report = lighthouse(name, url, chromium.port if signed_in else None)
                check_signed_in(name, report, signed_in)
                line = summary_line(name, report)
                print(line, flush=True)
                lines.append(line)
        finally:
            chromium.close()
        tasks = longest_tasks(base, cookie)
        (OUT / "longtasks.json").write_text(json.dumps(tasks, indent=2) + "\n")
        for label, got in tasks.items():
            line = (
                f"today first load ({label}, {RUNS} runs): longest task {got['max_ms']} ms "
                f"(goal <= 200); long tasks per run {[r['long_tasks_ms'] for r in got['runs']]}, "
                f"{got['runs'][0]['rows']} rows"
            )
            print(line)
            lines.append(line)
        (OUT / "summary.txt").write_text("\n".join(lines) + "\n")
        print(f"audit: reports in {OUT.relative_to(ROOT)}/")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
