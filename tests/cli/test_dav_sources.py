"""End to end through the command line only: a CardDAV source on a running Radicale, the
nightly job, a reconnect in the feed of a real `kith serve`, and a second night changing nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from tests.cli.conftest import Kith
from tests.cli.test_serve import port, server  # noqa: F401  (fixtures)
from tests.dav.servers import PASSWORD, USER, DavServer, fill


@pytest.fixture
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """A server of its own per engine: discovery from the root syncs every address book there."""
    dav = DavServer("radicale", tmp_path_factory.mktemp("radicale-cli"))
    yield dav
    dav.close()


@pytest.mark.usefixtures("server")
def test_a_carddav_source_added_from_the_cli_imports_nightly_and_feeds_a_reconnect(
    kith: Kith, radicale: DavServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import outbound, secrets_box

    # As in a fresh `kith` process: no policy or key left configured by an app built earlier.
    monkeypatch.setattr(outbound, "_configured", None)
    monkeypatch.setattr(secrets_box, "_configured", None)
    monkeypatch.setenv("KITH_SOURCE_ALLOW_HOSTS", radicale.host)
    monkeypatch.setenv("KITH_SOURCE_PASSWORD", PASSWORD)
    book = radicale.new_collection("carddav")
    fill(radicale, book, 12)
    who = ("--user", "me@example.com")
    kith("user", "add", "me@example.com")
    added = kith(
        "source", "add", *who, "--kind", "carddav", "--location", radicale.base + "/",
        "--username", USER,
    )  # fmt: skip
    assert "source 1 added" in added.out and book in added.out

    first = kith("nightly", *who)
    assert "me@example.com: ok: 1 sources" in first.out, first
    listed = kith("source", "list", *who).out
    assert "carddav" in listed and "new 12" in listed, listed
    long_ago = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=200)).isoformat()
    kith("log", *who, "--contact", "google001@example.org", "--kind", "coffee", "--on", long_ago)
    kith("nightly", *who)
    url = kith("feed-url", *who).out.strip()
    feed = httpx.get(url, timeout=30)
    assert feed.status_code == 200
    assert "SUMMARY:Reconnect with Guest Google001" in feed.text

    radicale.proxy.reset()
    again = kith("source", "run", *who, "1").out
    assert "ok: new 0, updated 0" in again, again
    assert radicale.proxy.counts["REPORT sync-collection"] == 1
    assert radicale.proxy.counts["REPORT addressbook-multiget"] == 0
    assert PASSWORD not in listed + again
    kith("source", "remove", *who, "1")
    assert kith("source", "list", *who).out == ""
