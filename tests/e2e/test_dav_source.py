"""Settings > Nightly imports in Chromium: a CardDAV source on a test Radicale, "Test connection"
listing its address book, a run and its counts."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dav.servers import PASSWORD, USER, DavServer, fill
from tests.e2e.harness import Server, running_server

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def radicale() -> Iterator[DavServer]:
    dav = DavServer("radicale", Path(tempfile.mkdtemp(prefix="kith-e2e-radicale-")))
    yield dav
    dav.close()


@pytest.fixture(scope="module")
def dav_kith(radicale: DavServer) -> Iterator[Server]:
    """A `kith serve` that may reach the loopback Radicale (KITH_SOURCE_ALLOW_HOSTS)."""
    before = os.environ.get("KITH_SOURCE_ALLOW_HOSTS")
    os.environ["KITH_SOURCE_ALLOW_HOSTS"] = radicale.host
    try:
        with running_server() as server:
            yield server
    finally:
        if before is None:
            os.environ.pop("KITH_SOURCE_ALLOW_HOSTS", None)
        else:
            os.environ["KITH_SOURCE_ALLOW_HOSTS"] = before


def test_a_carddav_source_is_tested_added_and_run_from_settings(
    session_factory, radicale: DavServer, dav_kith: Server
) -> None:
    book = radicale.new_collection("carddav")
    fill(radicale, book, 8)
    session = session_factory(server=dav_kith)
    session.sign_in()
    page = session.page
    session.go("#/settings", "settings")
    page.get_by_text("Add contacts or a calendar from a server").click()
    page.get_by_label("Provider").select_option("icloud")
    expect(page.get_by_label("Server URL")).to_have_value("https://contacts.icloud.com/")
    page.get_by_label("Provider").select_option("other")
    page.get_by_label("Server URL").fill(radicale.base + "/")
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Test connection").click()
    found = page.locator(".dav-found")
    expect(found).to_contain_text("the server refused the username or password")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Test connection").click()
    expect(found).to_contain_text("Found")
    expect(found.locator(f'input[data-collection="{book}"]')).to_be_checked()
    page.locator("#dav-form").get_by_role("button", name="Add source").click()

    source = page.locator(".source", has_text="Contacts server")
    expect(source).to_be_visible()
    label = radicale.base + "/"
    source.get_by_role("button", name=f"Run now: {label}").click()
    expect(source).to_contain_text("Done: 8 new")
    assert session.api.get("/api/contacts")["total"] == 8
    listed = session.api.get("/api/sources")
    assert listed[0]["password_set"] is True and "password" not in listed[0]
    session.go("#/settings", "settings")
    source = page.locator(".source", has_text="Contacts server")
    expect(source).to_contain_text("8 new")
