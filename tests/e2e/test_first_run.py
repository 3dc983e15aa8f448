"""The first five minutes in Chromium, from an empty data folder: the setup link `kith serve`
prints, "Create your account", the three guided steps on Today, and "Reconnect with" in the feed."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import PASSWORD, Api, Server, open_context, running_server

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# A corpus vCard: Jane Doe and John Appleseed, as an iPhone exports them.
VCARD = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"
LINK = re.compile(r"https?://\S+/#/setup\?code=[A-Za-z0-9_-]+")


def setup_link(server: Server) -> str:
    """The link as a person reads it off the terminal running `kith serve`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = LINK.search(server.log_path.read_text())
        if found:
            return found.group(0)
        time.sleep(0.1)
    pytest.fail(f"kith serve printed no setup link:\n{server.log_path.read_text()}")


def step(page, key):
    return page.locator(f".guide [data-step={key}]")


def test_from_the_setup_link_to_reconnect_with_jane_in_the_feed_without_a_manual(
    playwright_driver,
):
    with running_server() as server:
        link = setup_link(server)
        assert link.startswith(server.base_url + "/#/setup?code=")
        context, profile = open_context(playwright_driver, timezone_id="Europe/Berlin")
        try:
            page = context.pages[0] if context.pages else context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # Without the link, the sign-in page says where to find it.
            page.goto(server.base_url + "/")
            note = page.locator("[data-setup-open]")
            expect(note).to_contain_text("kith setup-link")
            expect(note).to_contain_text("kith serve")

            page.goto(link)
            expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
            expect(page.get_by_label("Time zone")).to_have_value("Europe/Berlin")
            expect(page.get_by_label("Country")).to_have_value("GB")  # locale en-GB
            page.get_by_label("Email").fill("me@example.com")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Create account").click()
            page.wait_for_selector("[data-screen=today] .guide")
            api = Api(server.base_url, "me@example.com")
            assert api.get("/api/auth/me")["timezone"] == "Europe/Berlin"
            for key in ("import", "circles", "calendar"):
                expect(step(page, key)).to_have_attribute("data-done", "false")
            expect(page.locator(".guide")).to_contain_text("make demo")

            # 1. Import your contacts
            step(page, "import").get_by_role("link").click()
            page.wait_for_selector("[data-screen=import]")
            page.set_input_files("#import-file", str(VCARD))
            page.get_by_role("button", name="Import", exact=True).click()
            expect(page.locator(".import-result .report [data-count=new] strong")).to_have_text("2")
            go(page, "#/today", "today")
            expect(step(page, "import")).to_have_attribute("data-done", "true")

            # 2. Put people in circles
            step(page, "circles").get_by_role("link").click()
            page.wait_for_selector("[data-screen=triage]")
            card = page.locator(".triage-card", has_text="Jane Doe")
            card.get_by_role("button", name=re.compile("^Friends")).click()
            expect(card).to_have_count(0)
            jane = next(
                c for c in api.get("/api/contacts")["items"] if c["full_name"] == "Jane Doe"
            )
            assert jane["circle"] == "Friends"

            # A coffee 200 days ago, logged from Jane's screen.
            go(page, f"#/contact/{jane['id']}", "contacts")
            page.get_by_role("button", name="Log an interaction with Jane Doe").click()
            sheet = page.locator("#sheet")
            long_ago = page.evaluate(
                "() => { const d = new Date(Date.now() - 200 * 864e5);"
                " return d.toLocaleDateString('en-CA', {timeZone: 'Europe/Berlin'}); }"
            )
            sheet.get_by_label("When").fill(long_ago)
            sheet.get_by_role("button", name="Coffee", exact=True).click()
            expect(sheet).to_be_hidden()
            logged = api.get(f"/api/contacts/{jane['id']}/interactions")
            assert [(i["kind"], i["at"][:10]) for i in logged] == [("coffee", long_ago)]
            go(page, "#/today", "today")
            expect(step(page, "circles")).to_have_attribute("data-done", "true")
            expect(step(page, "calendar")).to_have_attribute("data-done", "false")

            # 3. Subscribe your calendar: the feed URL the Calendar screen shows.
            step(page, "calendar").get_by_role("link").click()
            page.wait_for_selector("[data-screen=calendar]")
            expect(page.locator("[data-empty=calendar]")).to_be_visible()
            url = page.locator("#feed-https").input_value()
            feed = httpx.get(url, timeout=30)
            assert feed.status_code == 200
            assert "SUMMARY:Reconnect with Jane Doe" in feed.text

            go(page, "#/today", "today")
            guide = page.locator(".guide")
            expect(guide).to_have_attribute("data-guide-done", "true")
            for key in ("import", "circles", "calendar"):
                expect(step(page, key)).to_have_attribute("data-done", "true")
            page.get_by_role("button", name="Hide this guide").click()
            page.reload()
            page.wait_for_selector("[data-screen=today]")
            expect(page.locator(".guide")).to_have_count(0)
            assert errors == []
            api.close()
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def go(page, hash_, screen):
    page.evaluate("h => { location.hash = h }", hash_)
    page.wait_for_selector(f'body[data-route="{hash_}"] [data-screen={screen}]')
