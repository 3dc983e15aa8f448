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
