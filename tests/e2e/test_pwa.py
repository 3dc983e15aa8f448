"""The PWA in real headless Chromium against a real `kith serve`: the daily journeys, offline
logging, installability and hostile text."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import running_server

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data" / "e2e"
WEB = Path(__file__).resolve().parents[2] / "web"
CONFIRM_ROTATE = (
    "Make a new private link? The old one stops working and every calendar must subscribe again."
)
THIRTY_CARDS = DATA / "apple-addressbook-3.0-30-cards-latin1-no-charset.vcf"


def expect_toast(page, text):
    """The toast hides itself after a few seconds, so read the message it keeps in data-last:
    a slow machine can reach this line after the toast is gone, never before it was said."""
    expect(page.locator("#toast")).to_have_attribute("data-last", re.compile(re.escape(text)))


def row(page, name):
    return page.locator(".person", has=page.get_by_role("link", name=name, exact=True))


def test_import_shows_the_report_with_each_issue_and_its_line(session):
    page = session.page
    session.go("#/import", "import")
    page.set_input_files("#import-file", str(THIRTY_CARDS))
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator(".import-result .report")
    expect(report).to_be_visible()
    expect(report.locator("[data-count=new] strong")).to_have_text("30")
    issue = report.locator(".issue").first
    expect(issue.locator(".issue-line")).to_have_text("line 15")
    expect(issue.locator(".issue-msg")).to_contain_text("no digits")
    assert session.api.get("/api/contacts", untriaged="true")["total"] == 30


def test_a_large_upload_is_imported_in_the_background_and_its_report_shown(session):
    page = session.page
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bulk-{n}\r\nFN:Bulk Person {n}\r\n"
        f"EMAIL:bulk.person.{n}@example.org\r\nNOTE:{'x' * 500}\r\nEND:VCARD\r\n"
        for n in range(150)
    ).encode()
    assert len(cards) > 64 * 1024, "over the harness's KITH_IMPORT_INLINE_MAX_BYTES"
    session.go("#/import", "import")
    page.set_input_files(
        "#import-file", files=[{"name": "bulk.vcf", "mimeType": "text/vcard", "buffer": cards}]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator(".import-result .report")
    # A background job on a shared machine: a generous wait for the condition, nothing timed.
    expect(report.locator("[data-count=new] strong")).to_have_text("150", timeout=60_000)
    expect(page.locator(".import-waiting")).to_have_count(0)
    runs = session.api.get("/api/imports")
    assert [(r["filename"], r["status"]) for r in runs][:1] == [("bulk.vcf", "ok")], runs


def test_triage_puts_a_person_in_a_circle_with_one_tap(session):
    page = session.page
    first = session.api.post("/api/contacts", {"full_name": "Gwendolina Brown"})
    session.api.post("/api/contacts", {"full_name": "Peter Smalholtz"})
    session.go("#/triage", "triage")
    card = page.locator(f".triage-card[data-contact-id='{first['id']}']")
    expect(page.locator(".view-head .sub")).to_have_text("2 people left")
    circles = card.get_by_role("group", name="Circle for Gwendolina Brown")
    circles.get_by_role("button", name="Friends every 3 months").click()
    expect(card).to_have_count(0)
    expect(page.locator(".view-head .sub")).to_have_text("1 person left")
    assert session.api.get(f"/api/contacts/{first['id']}")["circle"] == "Friends"


def test_logging_a_coffee_from_today_takes_two_taps_and_raises_health(session):
    page = session.page
    ann = session.api.add_due_contact("Ann Lee", days_ago=200)
    page.reload()
    ann_row = row(page, "Ann Lee")
    before = int(ann_row.locator(".health").get_attribute("data-health"))
    ann_row.get_by_role("button", name="Log an interaction with Ann Lee").click()  # tap 1
    page.locator("#sheet").get_by_role("button", name="Coffee", exact=True).click()  # tap 2
    expect(ann_row.locator(".person-status")).to_contain_text("Logged coffee with Ann Lee")
    after = int(ann_row.locator(".health").get_attribute("data-health"))
    assert after > before
    expect(ann_row.locator(".last")).to_have_text("coffee, today")
    stored = session.api.get(f"/api/contacts/{ann}/interactions")
    assert [i["kind"] for i in stored].count("coffee") == 2
    assert session.api.get(f"/api/contacts/{ann}")["health"] == after


def test_snooze_moves_a_reminder_a_week_out(session):
    page = session.page
    bob = session.api.add_due_contact("Bob Stone", days_ago=400)
    page.reload()
    bob_row = row(page, "Bob Stone")
    bob_row.get_by_role("button", name="Snooze Bob Stone").click()
    page.locator("#sheet").get_by_role("button", name="A week").click()
    expect(bob_row.locator(".person-status")).to_contain_text("Snoozed until")
    today = session.api.get("/api/today")
    week = dt.date.fromisoformat(today["today"]) + dt.timedelta(days=7)
    assert bob not in [i["contact_id"] for i in today["due"]]
    assert all(
        dt.date.fromisoformat(i["day"]) >= week for i in today["upcoming"] if i["contact_id"] == bob
    )


def test_calendar_screen_shows_the_subscription_links_that_serve_the_feed(session):
    page = session.page
    feed = session.api.get("/api/feed")
    assert feed["webcal_url"].startswith("webcal://")
    ics = httpx.get(
        feed["https_url"], headers={"User-Agent": "Google-Calendar-Importer"}, timeout=10
    )
    assert ics.status_code == 200 and ics.text.startswith("BEGIN:VCALENDAR")
    session.go("#/calendar", "calendar")
    webcal = page.locator("#feed-webcal")
    expect(webcal).to_have_value(feed["webcal_url"])
    expect(page.locator("#feed-https")).to_have_value(feed["https_url"])
    expect(page.locator("[data-link=webcal]")).to_have_attribute("href", feed["webcal_url"])
    expect(page.locator("[data-link=google]")).to_have_attribute("href", feed["google_url"])
    expect(page.locator("[data-link=outlook]")).to_have_attribute("href", feed["outlook_url"])
    expect(page.locator(".fetched")).to_contain_text("by Google Calendar")
    qr = page.get_by_role("img", name="QR code of the webcal subscription link")
    expect(qr).to_be_visible()
    assert page.evaluate("img => img.naturalWidth > 0", qr.element_handle())
    # rotating makes a new link and the old one stops working
    page.get_by_role("button", name="Make a new link").click()
    expect(webcal).not_to_have_value(feed["webcal_url"])
    assert session.dialogs == ["confirm: " + CONFIRM_ROTATE]
    assert httpx.get(feed["https_url"], timeout=10).status_code == 404
    assert httpx.get(page.locator("#feed-https").input_value(), timeout=10).status_code == 200


def test_after_a_secret_key_change_the_calendar_screen_asks_for_a_new_link(session):
    import sqlite3

    page = session.page
    old = session.api.get("/api/feed")
    # What a new secret key looks like from the server's side: the stored hash is no longer the
    # hash of the token this key derives (the old key made it), so the derived URL would 404.
    path = session.server.env["KITH_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as con:
        token = old["https_url"].split("/feed/", 1)[1].split("/", 1)[0]
        import hashlib

        stored = hashlib.sha256(token.encode()).hexdigest()
        con.execute("UPDATE feed_token SET token_hash = ? WHERE token_hash = ?", ("0" * 64, stored))
    session.go("#/calendar", "calendar")
    warning = page.locator("[data-key-changed] [role=alert]")
    expect(warning).to_contain_text("secret key changed")
    expect(page.locator("#feed-webcal")).to_have_count(0)
    page.get_by_role("button", name="Make a new link").click()
    expect(page.locator("#feed-webcal")).to_have_value(re.compile(r"^webcal://"))
    assert httpx.get(page.locator("#feed-https").input_value(), timeout=10).status_code == 200


def outbox_size(page):
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const req = indexedDB.open("kith");
            req.onerror = () => reject(req.error);
            req.onsuccess = () => {
                const db = req.result;
                if (!db.objectStoreNames.contains("outbox")) { db.close(); resolve(0); return; }
                const count = db.transaction("outbox").objectStore("outbox").count();
                count.onsuccess = () => { db.close(); resolve(count.result); };
            };
        })"""
    )


def test_an_interaction_logged_offline_is_stored_exactly_once_when_back_online(session):
    page = session.page
    ann = session.api.add_due_contact("Ann Lee", days_ago=200)
    session.wait_for_service_worker()
    page.reload()  # Today and who-am-I now pass through the worker, which keeps them
    expect(row(page, "Ann Lee")).to_be_visible()

    session.context.set_offline(True)
    page.reload()  # the shell and the last Today come from the worker's caches
    ann_row = row(page, "Ann Lee")
    expect(ann_row).to_be_visible()
    expect(page.locator("#net-status")).to_contain_text("Offline")
    ann_row.get_by_role("button", name="Log an interaction with Ann Lee").click()
    page.locator("#log-note").fill("Offline on the train")
    page.locator("#sheet").get_by_role("button", name="Coffee", exact=True).click()
    expect(ann_row.locator(".person-status")).to_contain_text("Saved on this phone")
    session.screenshot("today-offline-light")
    assert outbox_size(page) == 1
    assert len(session.api.get(f"/api/contacts/{ann}/interactions")) == 1
    # what leaves the queue on replay: stored (2xx) or never storable (4xx but 401/429)
    settled = page.evaluate(
        "() => import('/js/offline-queue.js').then(m => "
        "[200, 201, 400, 401, 404, 409, 429, 500, 503].map(m.isSettled))"
    )
    assert settled == [True, True, True, False, True, True, False, False, False]

    session.context.set_offline(False)  # fires `online`: the outbox is replayed
    expect_toast(page, "Sent 1 interaction logged offline")
    expect(page.locator("#net-status")).to_have_text("")
    assert outbox_size(page) == 0
    page.reload()  # the app start replays too: nothing is left to send twice
    page.wait_for_selector("[data-screen=today]")
    notes = [i["note"] for i in session.api.get(f"/api/contacts/{ann}/interactions")]
    assert notes.count("Offline on the train") == 1
    assert len(notes) == 2


def test_service_worker_controls_the_page_and_chromium_finds_the_app_installable(session):
    page = session.page
    session.wait_for_service_worker()
    scopes = page.evaluate(
        "navigator.serviceWorker.getRegistrations()"
        ".then(rs => rs.map(r => [r.scope, r.active && r.active.state]))"
    )
    assert scopes == [[session.base_url + "/", "activated"]]
    cdp = session.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    data = json.loads(manifest["data"])
    assert data["display"] == "standalone" and data["short_name"] == "Kith"
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    caches = page.evaluate("() => caches.keys()")
    assert any(re.fullmatch(r"kith-shell-[0-9a-f]{8}", name) for name in caches), caches


def test_a_new_version_is_offered_and_taken_on_reload(session_factory, tmp_path):
    web = tmp_path / "web"
    shutil.copytree(WEB, web)
    with running_server(web_dir=web) as server:
        s = session_factory(server=server)
        s.sign_in()
        page = s.page
        s.wait_for_service_worker()
        old_caches = page.evaluate("() => caches.keys()")
        sw = web / "sw.js"
        sw.write_text(
            re.sub(r'const VERSION = "[^"]+"', 'const VERSION = "feedbeef"', sw.read_text())
        )
        page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => r.update())")
        banner = page.locator("#update-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("A new version of Kith is ready")
        with page.expect_navigation():
            banner.get_by_role("button", name="Reload").click()
        page.wait_for_selector("[data-screen=today]")
        expect(page.locator("#update-banner")).to_be_hidden()
        page.wait_for_function("() => caches.keys().then(k => k.includes('kith-shell-feedbeef'))")
        caches = page.evaluate("() => caches.keys()")
        assert not set(old_caches) & set(caches), "the old version's caches are deleted"
        s.context.close()


def test_a_contact_named_like_markup_shows_as_text_and_runs_nothing(session):
    page = session.page
    evil = "<img src=x onerror=alert(1)>"
    cid = session.api.add_due_contact(evil, days_ago=300)
    client = session.api.client
    r = client.patch(
        f"/api/contacts/{cid}",
        json={"note": "<script>alert(2)</script>", "organization": '"><svg onload=alert(3)>'},
    )
    assert r.status_code == 200
    page.reload()
    expect(page.get_by_role("link", name=evil, exact=True)).to_be_visible()
    page.get_by_role("button", name=f"Log an interaction with {evil}").click()
    expect(page.locator("#sheet-title")).to_have_text(f"Log with {evil}")
    page.locator("#sheet").get_by_role("button", name="Cancel").click()
    session.go(f"#/contact/{cid}", "contacts")
    expect(page.locator("h1.contact-name")).to_have_text(evil)
    expect(page.locator("#edit-note")).to_have_value("<script>alert(2)</script>")
    session.go("#/contacts", "contacts")
    page.locator("#contacts-q").fill("img")
    expect(page.locator(".person-name", has_text=evil)).to_be_visible()
    assert page.locator("img[src=x], svg[onload], script:not([src])").count() == 0
    assert session.dialogs == []


SMALL_TARGETS = """() => [...document.querySelectorAll(
        "button, .btn, .tabs a, input:not([type=checkbox]), select, summary")]
    .filter(el => el.offsetParent !== null && !el.closest("[inert]"))
    .map(el => [el.textContent.trim() || el.id, el.getBoundingClientRect()])
    .filter(([, r]) => r.height < 44 || r.width < 44)
    .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""


def test_app_has_no_layout_shift_big_tap_targets_and_visible_focus(session):
    page = session.page
    ann = session.api.add_due_contact("Ann Lee", days_ago=200)
    session.api.post("/api/contacts", {"full_name": "Untriaged Person"})
    page.reload()
    expect(row(page, "Ann Lee")).to_be_visible()
    shift = page.evaluate(
        """() => {
            const po = new PerformanceObserver(() => {});
            po.observe({ type: "layout-shift", buffered: true });
            const total = po.takeRecords().reduce((s, e) => s + (e.hadRecentInput ? 0 : e.value), 0);
            po.disconnect();
            return total;
        }"""
    )
    assert shift < 0.02, f"cumulative layout shift {shift}"
    screens = [
        ("#/today", "today"),
        ("#/contacts", "contacts"),
        (f"#/contact/{ann}", "contacts"),
        ("#/triage", "triage"),
        ("#/import", "import"),
        ("#/calendar", "calendar"),
        ("#/settings", "settings"),
    ]
    for hash_, screen in screens:
        session.go(hash_, screen)
        assert page.evaluate(SMALL_TARGETS) == [], f"tap targets under 44px on {hash_}"
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "the focused element shows a focus ring"


def test_contact_screen_shows_history_merges_a_duplicate_and_saves_edits(session):
    page = session.page
    ann = session.api.add_due_contact("Ann Lee", days_ago=120)
    dup = DATA / "near-duplicate-of-an-existing-contact.vcf"
    r = session.api.client.post("/api/imports", files={"file": (dup.name, dup.read_bytes())})
    assert r.status_code == 201, r.text
    session.go(f"#/contact/{ann}", "contacts")
    expect(page.locator("h1.contact-name")).to_have_text("Ann Lee")
    expect(
        page.get_by_role("img", name=re.compile(r"^Health over the last \d+ days"))
    ).to_be_visible()
    expect(page.locator(".explain")).not_to_be_empty()
    expect(page.locator(".timeline .event")).to_have_count(1)

    page.get_by_role("button", name="Merge, keep this one").click()
    expect_toast(page, "Merged into Ann Lee")
    merged = session.api.get(f"/api/contacts/{ann}")
    assert "ann.lee@work.example" in merged["emails"]
    assert session.api.get("/api/contacts", q="Ann Lee")["total"] == 1

    page.locator("#edit-circle").select_option(label="Close (every 30 days)")
    page.locator("#edit-cadence").fill("45")
    page.get_by_label("Family (kin)").check()
    page.locator("#edit-note").fill("Met at PyCon; <b>not bold</b>")
    page.get_by_role("button", name="Save", exact=True).click()
    expect_toast(page, "Saved.")
    saved = session.api.get(f"/api/contacts/{ann}")
    assert (saved["circle"], saved["cadence_override_days"], saved["kin"]) == ("Close", 45, True)
    assert saved["note"] == "Met at PyCon; <b>not bold</b>"


def test_people_search_and_filters_narrow_the_list(session):
    page = session.page
    session.api.post(
        "/api/contacts", {"full_name": "Ann Lee", "circle_id": session.api.circle_id("Friends")}
    )
    session.api.post(
        "/api/contacts", {"full_name": "Bob Stone", "circle_id": session.api.circle_id("Close")}
    )
    session.api.post("/api/contacts", {"full_name": "Cara Diaz", "emails": ["cara@example.com"]})
    session.go("#/contacts", "contacts")
    names = page.locator("ul.people .person-name")
    expect(names).to_have_text(["Ann Lee", "Bob Stone", "Cara Diaz"])
    page.get_by_label("Search").fill("cara@")
    expect(names).to_have_text(["Cara Diaz"])
    page.get_by_label("Search").fill("")
    page.locator("#contacts-circle").select_option(label="Close")
    expect(names).to_have_text(["Bob Stone"])
    page.locator("#contacts-circle").select_option(label="No circle yet")
    expect(names).to_have_text(["Cara Diaz"])
    page.locator("ul.people .person-link").first.click()
    expect(page.locator("h1.contact-name")).to_have_text("Cara Diaz")


def test_settings_save_the_caps_weekday_factors_and_alarm(session):
    page = session.page
    session.go("#/settings", "settings")
    page.get_by_label("Daily limit").fill("2")
    page.get_by_label("Weekly limit").fill("8")
    page.get_by_label("Sat factor").fill("0.3")
    page.get_by_label("Calendar alarm").select_option(label="08:00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved. Reminders are being re-planned.")).to_be_visible()
    me = session.api.get("/api/auth/me")
    assert (me["per_day_cap"], me["per_week_cap"], me["alarm_hour"]) == (2, 8, 8)
    assert me["weekday_factors"][5] == pytest.approx(0.3)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Kith")).to_be_visible()
    kept = page.evaluate("() => caches.keys()")
    assert not [name for name in kept if name.startswith("kith-data")], kept
    assert page.evaluate("() => fetch('/api/auth/me').then(r => r.status)") == 401


def test_a_nightly_folder_source_can_be_added_run_and_removed(session, tmp_path):
    page = session.page
    shutil.copy(THIRTY_CARDS, tmp_path / THIRTY_CARDS.name)
    session.go("#/settings", "settings")
    page.get_by_text("Add a source").click()
    page.get_by_label("Kind").select_option("folder")
    page.get_by_label("Where").fill(str(tmp_path))
    page.get_by_label("Name (optional)").fill("Phone exports")
    page.get_by_role("button", name="Add source").click()
    source = page.locator(".source", has_text="Phone exports")
    expect(source).to_be_visible()
    source.get_by_role("button", name="Run now: Phone exports").click()
    expect(source).to_contain_text("Done: 30 new")
    assert session.api.get("/api/contacts")["total"] == 30
    source.get_by_role("button", name="Remove Phone exports").click()
    expect(source).to_have_count(0)
    assert session.api.get("/api/sources") == []
