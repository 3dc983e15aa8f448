"""Screenshots of Today, Contact and Calendar at 360x740 in light and dark mode.

Written to test-results/screenshots/ for a person to look at; the assertions here only check
what a screenshot cannot hide: the page follows the colour scheme, nothing overflows sideways,
and loading the app does not shift the layout.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_today_contact_and_calendar_render_at_phone_size_in_both_colour_schemes(
    session_factory, scheme
):
    s = session_factory(color_scheme=scheme)
    ann = s.api.add_due_contact("Ann Lee", days_ago=200)
    s.api.add_due_contact("Bartholomew Okonkwo-Fitzgerald", days_ago=400, circle="Close")
    s.api.add_due_contact("Chidi Okafor", days_ago=95)
    s.api.post(
        f"/api/contacts/{ann}/interactions",
        {
            "kind": "call",
            "on": "2026-01-10",
            "idempotency_key": f"shot-{scheme}",
            "note": "Talked about her move to Lisbon",
            "follow_up": {"what": "Send the book list", "due_on": "2026-01-20"},
        },
    )
    s.sign_in()
    page = s.page
    page.wait_for_selector(".person")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(15, 18, 17)") == (scheme == "dark"), background
    assert_no_sideways_scroll(page)
    s.screenshot(f"today-{scheme}")

    s.go(f"#/contact/{ann}", "contacts")
    page.wait_for_selector(".sparkline")
    assert_no_sideways_scroll(page)
    s.screenshot(f"contact-{scheme}")

    s.go("#/calendar", "calendar")
    page.wait_for_selector(".qr-img")
    assert_no_sideways_scroll(page)
    s.screenshot(f"calendar-{scheme}")
    assert not page.kith_errors


def assert_no_sideways_scroll(page):
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 360px"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_setup_page_and_the_guided_today_render_at_phone_size(playwright_driver, scheme):
    """First run: "Create your account" from the link, then Today's three steps (one done)."""
    import shutil

    from tests.e2e.harness import SCREENSHOTS, Api, open_context, running_server
    from tests.e2e.test_first_run import setup_link

    with running_server() as server:
        context, profile = open_context(
            playwright_driver, color_scheme=scheme, timezone_id="Europe/Berlin"
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.goto(server.base_url + "/")
            page.wait_for_selector("[data-setup-open]")
            assert_no_sideways_scroll(page)
            page.screenshot(path=str(SCREENSHOTS / f"signin-first-run-{scheme}.png"))
            page.goto(setup_link(server))
            page.wait_for_selector("#setup-email")
            assert_no_sideways_scroll(page)
            page.screenshot(path=str(SCREENSHOTS / f"setup-{scheme}.png"))
            page.get_by_label("Email").fill("me@example.com")
            page.get_by_label("Password").fill("correct-horse-battery")
            page.get_by_role("button", name="Create account").click()
            page.wait_for_selector("[data-screen=today] .guide")
            api = Api(server.base_url, "me@example.com")
            api.post("/api/contacts", {"full_name": "Ann Lee"})
            api.close()
            page.reload()
            page.wait_for_selector(".guide [data-step=import][data-done=true]")
            assert_no_sideways_scroll(page)
            page.screenshot(path=str(SCREENSHOTS / f"today-guide-{scheme}.png"))
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
