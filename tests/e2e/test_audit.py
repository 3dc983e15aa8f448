"""Every screen, signed in and out, in light and dark: axe-core finds no violation and the
console stays quiet (no error, no warning: the signed-out session probe answers 200, not 401).

axe-core is the npm package pinned in tests/e2e/axe (installed by `make install`); it is
evaluated through the DevTools protocol, which the page's CSP does not govern, so the app's
own policy stays as strict as in production.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Server, open_context, running_server
from tests.e2e.test_first_run import setup_link

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCHEMES = ["light", "dark"]

needs_axe = pytest.mark.skipif(
    not AXE.exists(),
    reason="axe-core is not installed: `make install` runs npm ci in tests/e2e/axe",
)


def listen(page: Any) -> list[str]:
    """Every console error and warning, and every uncaught exception, as text."""
    noise: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type in ("error", "warning"):
            where = msg.location.get("url", "") if msg.location else ""
            noise.append(f"{msg.type}: {msg.text} ({where})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: noise.append(f"uncaught: {exc}"))
    return noise


def axe_violations(page: Any) -> list[str]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10, "axe ran its rules"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(json.dumps(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
    ]


def settle(page: Any) -> None:
    """Wait until the screen has rendered and nothing is loading."""
    page.wait_for_selector("#view[aria-busy=false] [data-screen]")
    page.wait_for_load_state("networkidle")


@pytest.fixture(scope="module")
def empty_server() -> Iterator[Server]:
    """A server with no account, so the setup link is open."""
    with running_server() as server:
        yield server


@needs_axe
@pytest.mark.parametrize("scheme", SCHEMES)
def test_signed_out_screens_have_no_axe_violation_and_a_quiet_console(
    playwright_driver, empty_server, scheme
):
    link = setup_link(empty_server)
    screens = {
        "sign-in, no account yet": empty_server.base_url + "/",
        "setup link": link,
        "setup, wrong code": empty_server.base_url + "/#/setup?code=not-the-code",
    }
    context, profile = open_context(playwright_driver, color_scheme=scheme)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        noise = listen(page)
        problems = {}
        for name, url in screens.items():
            page.goto(url)
            page.reload()  # a fresh load of each screen, not a hash change
            settle(page)
            found = axe_violations(page) + noise
            if found:
                problems[name] = found
            noise.clear()
        assert problems == {}
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


@needs_axe
@pytest.mark.parametrize("scheme", SCHEMES)
def test_signed_in_screens_have_no_axe_violation_and_a_quiet_console(session_factory, scheme):
    s = session_factory(color_scheme=scheme)
    ann = s.api.add_due_contact("Ann Lee", days_ago=200)
    s.api.add_due_contact("Chidi Okafor", days_ago=95, circle="Close")
    s.api.post("/api/contacts", {"full_name": "Untriaged Person", "emails": ["u@example.com"]})
    s.api.post(
        f"/api/contacts/{ann}/interactions",
        {
            "kind": "call",
            "on": "2026-01-10",
            "idempotency_key": f"audit-{scheme}",
            "note": "Talked about her move",
            "follow_up": {"what": "Send the book list", "due_on": "2026-01-20"},
        },
    )
    page = s.page
    noise = listen(page)
    s.sign_in()
    screens = [
        "#/today",
        "#/contacts",
        f"#/contact/{ann}",
        "#/triage",
        "#/import",
        "#/calendar",
        "#/settings",
    ]
    problems = {}
    for hash_ in screens:
        page.goto(f"{s.base_url}/{hash_}")
        page.reload()
        settle(page)
        assert page.evaluate("location.hash") == hash_
        found = axe_violations(page) + noise
        if found:
            problems[hash_] = found
        noise.clear()
    # The log sheet, open over Today.
    page.goto(f"{s.base_url}/#/today")
    settle(page)
    page.get_by_role("button", name="Log an interaction with Ann Lee").click()
    page.wait_for_selector("#sheet[open] .kind")
    found = axe_violations(page) + noise
    if found:
        problems["log sheet"] = found
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_screens_list_covers_every_route_of_the_app():
    """A new screen in web/js/main.js must be added to the lists above."""
    main = (Path(__file__).resolve().parents[2] / "web" / "js" / "main.js").read_text()
    routes = set(re.findall(r"\[/\^\\/(\w+)", main))
    assert routes == {"today", "contacts", "contact", "triage", "import", "calendar", "settings"}
