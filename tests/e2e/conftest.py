"""Browser-test fixtures (tests/e2e/harness.py does the work). Every test signs in as its own
fresh user, so tests never see each other's contacts; every test also fails when the page threw
an uncaught error or broke a Content-Security-Policy rule."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import (
    CHROMIUM,
    Api,
    BrowserContext,
    Playwright,
    Server,
    Session,
    open_context,
    running_server,
    sync_playwright,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = None
    if sync_playwright is None:
        reason = "the playwright package is not installed (.tools/bin/uv sync)"
    elif not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests"
    if reason:
        for item in items:
            if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def kith_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    wanted = {"session", "session_factory"}
    users = sum(
        1 for item in request.session.items if wanted & set(getattr(item, "fixturenames", ()))
    )
    with running_server(users=users) as server:
        yield server


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    # Module scope, not session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, and pytest-asyncio cannot run async tests of other folders then.
    assert sync_playwright is not None
    with sync_playwright() as p:
        yield p


@pytest.fixture
def session_factory(kith_server: Server, playwright_driver: Playwright) -> Iterator[Any]:
    opened: list[tuple[BrowserContext, str, Api]] = []

    def make(*, color_scheme: str = "light", server: Server | None = None) -> Session:
        server = server or kith_server
        email = server.add_user()
        api = Api(server.base_url, email)
        context, profile = open_context(playwright_driver, color_scheme=color_scheme)
        opened.append((context, profile, api))
        page = context.pages[0] if context.pages else context.new_page()
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(f"{dialog.type}: {dialog.message}")
            # confirm() asks before rotating a link or deleting: the test says yes; alerts are
            # recorded so a test can assert that none ever opened.
            dialog.accept()

        page.on("dialog", on_dialog)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.kith_errors = errors  # type: ignore[attr-defined]
        csp: list[str] = []

        def on_console(msg: Any) -> None:
            if "Content Security Policy" in msg.text or "Refused to" in msg.text:
                csp.append(msg.text)

        page.on("console", on_console)
        page.kith_csp = csp  # type: ignore[attr-defined]
        return Session(server, email, api, context, page, dialogs, csp)

    yield make
    problems: list[str] = []
    for context, profile, api in opened:
        for page in context.pages:
            problems += [f"uncaught: {e}" for e in getattr(page, "kith_errors", [])]
            problems += [f"CSP: {m}" for m in getattr(page, "kith_csp", [])]
        try:
            context.close()
        finally:
            api.close()
            shutil.rmtree(profile, ignore_errors=True)
    # Every browser test also checks that the page threw nothing and broke no CSP rule.
    assert problems == []


@pytest.fixture
def session(session_factory: Any) -> Session:
    """A fresh user, signed in through the sign-in screen, on a 360x740 phone in light mode."""
    s = session_factory()
    s.sign_in()
    return s


def pytest_report_header() -> str:
    return f"e2e: chromium at {CHROMIUM} ({'found' if CHROMIUM.exists() else 'missing'}), python {sys.version.split()[0]}"
