"""The served feed: token rules, HTTP caching, and real calendar parsers reading what is served."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gzip
from pathlib import Path

import icalendar
import pytest

from tests.pipeline.test_feed_real_parsers import PARSERS


async def _due_contact(c, clock, name: str) -> int:
    circles = {x["name"]: x["id"] for x in (await c.get("/api/circles")).json()}
    cid = (
        await c.post(
            "/api/contacts",
            json={"full_name": name, "circle_id": circles["Close"], "birthday": "--02-29"},
        )
    ).json()["id"]
    on = (clock() - dt.timedelta(days=200)).date().isoformat()
    await c.post(f"/api/contacts/{cid}/interactions", json={"kind": "call", "on": on})
    return cid


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


async def test_feed_lists_the_reconnects_with_calendar_headers(app, alice, client, clock):
    await _due_contact(alice, clock, "Ann Lee")
    info = (await alice.get("/api/feed")).json()
    assert info["webcal_url"].startswith("webcal://") and info["https_url"].startswith("http")
    assert "calendar.google.com" in info["google_url"] and "outlook.live.com" in info["outlook_url"]
    assert info["qr_svg"].lstrip().startswith("<svg")
    path = _path(info["https_url"])
    assert path.endswith("/kith.ics") and "alice" not in path
    r = await client.get(path, headers={"user-agent": "Google-Calendar-Importer"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["cache-control"].startswith("private")
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in r.headers and "content-disposition" not in r.headers
    assert r.headers["last-modified"].endswith("GMT")
    cal = icalendar.Calendar.from_ical(r.content)
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert "Reconnect with Ann Lee" in summaries
    info = (await alice.get("/api/feed")).json()
    assert info["last_user_agent"] == "Google-Calendar-Importer" and info["last_fetched_at"]


async def test_etag_gives_304_head_has_no_body_and_gzip_when_asked(alice, client, clock):
    await _due_contact(alice, clock, "Ann Lee")
    path = _path((await alice.get("/api/feed")).json()["https_url"])
    first = await client.get(path, headers={"accept-encoding": "identity"})
    etag = first.headers["etag"]
    again = await client.get(path, headers={"if-none-match": etag, "accept-encoding": "identity"})
    assert again.status_code == 304 and again.content == b""
    head = await client.head(path, headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == etag
    zipped = await client.get(path, headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] != etag
    assert zipped.content == first.content  # httpx decodes; the bytes are the same feed
    raw = await client.get(
        path, headers={"accept-encoding": "gzip", "if-none-match": zipped.headers["etag"]}
    )
    assert raw.status_code == 304
    assert gzip.decompress(gzip.compress(first.content)) == first.content


async def test_unknown_token_is_404_and_a_rotated_token_stops_working(alice, client, clock):
    await _due_contact(alice, clock, "Ann Lee")
    assert (await client.get("/feed/not-a-real-token-at-all-xxxxxxxx/kith.ics")).status_code == 404
    old = _path((await alice.get("/api/feed")).json()["https_url"])
    assert (await client.get(old)).status_code == 200
    new = _path((await alice.post("/api/feed/rotate")).json()["https_url"])
    assert new != old
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200
    assert _path((await alice.get("/api/feed")).json()["https_url"]) == new


async def test_a_feed_token_only_ever_yields_its_own_users_events(alice, bob, client, clock):
    await _due_contact(alice, clock, "Alice Friend")
    await _due_contact(bob, clock, "Bob Friend")
    path = _path((await bob.get("/api/feed")).json()["https_url"])
    body = (await client.get(path)).text
    assert "Bob Friend" in body and "Alice Friend" not in body


def _events(body: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


async def test_a_moved_reminder_keeps_its_uid_with_a_higher_sequence_and_others_keep_their_bytes(
    alice, client, clock
):
    ann = await _due_contact(alice, clock, "Ann Lee")
    await _due_contact(alice, clock, "Bo Diaz")
    path = _path((await alice.get("/api/feed")).json()["https_url"])
    before = _events((await client.get(path)).content)
    until = (clock() + dt.timedelta(days=9)).date().isoformat()
    assert (
        await alice.post(f"/api/contacts/{ann}/snooze", json={"until": until})
    ).status_code == 200
    after = _events((await client.get(path)).content)
    old, new = before["Reconnect with Ann Lee"], after["Reconnect with Ann Lee"]
    assert new["UID"] == old["UID"]
    assert int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    assert new.decoded("DTSTART") >= dt.date.fromisoformat(until) > old.decoded("DTSTART")
    assert after["Reconnect with Bo Diaz"].to_ical() == before["Reconnect with Bo Diaz"].to_ical()


async def test_a_done_reminder_leaves_the_feed(alice, client, clock):
    ann = await _due_contact(alice, clock, "Ann Lee")
    path = _path((await alice.get("/api/feed")).json()["https_url"])
    old_uid = _events((await client.get(path)).content)["Reconnect with Ann Lee"]["UID"]
    assert (await alice.post(f"/api/contacts/{ann}/done", json={"kind": "call"})).status_code == 200
    body = (await client.get(path)).content
    assert str(old_uid).encode() not in body, "the done reminder's event is gone"
    next_one = _events(body).get("Reconnect with Ann Lee")
    if next_one is not None:  # the next cycle, weeks later, is a new event
        assert next_one["UID"] != old_uid
        assert next_one.decoded("DTSTART") > clock().date() + dt.timedelta(days=14)


@pytest.mark.parametrize("parser", sorted(PARSERS))
async def test_the_served_feed_is_read_by_real_calendar_parsers(
    parser, alice, client, clock, tmp_path: Path
):
    missing, run = PARSERS[parser]
    reason = missing()
    if reason:
        pytest.skip(reason)
    await _due_contact(alice, clock, 'Zoë <img src=x onerror=alert(1)>, Jr.; "Q"')
    path = _path((await alice.get("/api/feed")).json()["https_url"])
    feed_file = tmp_path / "served.ics"
    feed_file.write_bytes((await client.get(path)).content)
    report = run(feed_file)
    assert report["errors"] == []
    summaries = [e["summary"] for e in report["events"]]
    assert any(
        s.startswith("Reconnect with Zoë <img src=x onerror=alert(1)>, Jr.;") for s in summaries
    )
    reconnect = next(e for e in report["events"] if e["summary"].startswith("Reconnect"))
    assert reconnect["allDay"] is True


class _HeldWriteLock:
    """Another connection inside a write transaction for up to `seconds`: on SQLite a raw sqlite3
    connection in a thread (BEGIN IMMEDIATE takes the one write lock), on PostgreSQL an asyncpg
    transaction holding the feed token rows' locks and the contact table in EXCLUSIVE mode (what a
    long import blocks writers with). `held()` is False once the holder gave up by itself."""

    def __init__(self, settings, seconds: float) -> None:
        self.settings = settings
        self.seconds = seconds
        self.release = None
        self.waiter = None

    async def __aenter__(self):
        if self.settings.engine == "sqlite":
            import sqlite3
            import threading

            with contextlib.closing(sqlite3.connect(self.settings.sqlite_path)) as con:
                # WAL: readers go on beside the one writer, even while it commits.
                assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            ready, self.release = threading.Event(), threading.Event()

            def hold() -> None:
                con = sqlite3.connect(self.settings.sqlite_path, isolation_level=None)
                con.execute("BEGIN IMMEDIATE")
                con.execute("UPDATE feed_token SET last_user_agent = 'held'")
                con.execute("UPDATE contact SET nickname = nickname")
                ready.set()
                self.release.wait(self.seconds)
                con.execute("ROLLBACK")
                con.close()

            self.waiter = threading.Thread(target=hold, daemon=True)
            self.waiter.start()
            assert await asyncio.to_thread(ready.wait, 10)
        else:
            import asyncpg

            self.conn = await asyncpg.connect(self.settings.database_url)
            self.tx = self.conn.transaction()
            await self.tx.start()
            await self.conn.execute("UPDATE feed_token SET last_user_agent = 'held'")
            await self.conn.execute("LOCK TABLE contact IN EXCLUSIVE MODE")
            self.release = asyncio.Event()

            async def hold() -> None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.release.wait(), self.seconds)
                await self.tx.rollback()
                await self.conn.close()

            self.waiter = asyncio.create_task(hold())
        return self

    def held(self) -> bool:
        if self.settings.engine == "sqlite":
            return self.waiter.is_alive()
        return not self.waiter.done()

    async def __aexit__(self, *exc) -> None:
        self.release.set()
        if self.settings.engine == "sqlite":
            await asyncio.to_thread(self.waiter.join)
        else:
            await self.waiter


async def test_the_feed_answers_while_another_connection_holds_the_write_lock(
    alice, client, clock, clean_db, caplog
):
    await _due_contact(alice, clock, "Ann Lee")
    path = _path((await alice.get("/api/feed")).json()["https_url"])
    async with _HeldWriteLock(clean_db, seconds=30) as lock:
        # A first fetch: nothing cached, and the bookkeeping (first fetch, new client) wants
        # to write; neither may wait for the writer.
        r = await client.get(path, headers={"user-agent": "Google-Calendar-Importer"})
        assert lock.held(), "the feed waited for the writer to let go"
        assert r.status_code == 200 and b"Reconnect with Ann Lee" in r.content
    assert any("fetch" in rec.getMessage() for rec in caplog.records if rec.name == "kith.feed")
    # Best effort: the missed bookkeeping is written by the next fetch.
    assert (await alice.get("/api/feed")).json()["last_fetched_at"] is None
    await client.get(path, headers={"user-agent": "Google-Calendar-Importer"})
    info = (await alice.get("/api/feed")).json()
    assert info["last_user_agent"] == "Google-Calendar-Importer" and info["last_fetched_at"]


async def test_renaming_a_circle_changes_the_served_feed(alice, client, clock):
    await _due_contact(alice, clock, "Ann Lee")
    path = _path((await alice.get("/api/feed")).json()["https_url"])
    first = await client.get(path)
    assert "Close" in _events(first.content)["Reconnect with Ann Lee"]["DESCRIPTION"]
    close = next(c for c in (await alice.get("/api/circles")).json() if c["name"] == "Close")
    r = await alice.patch(f"/api/circles/{close['id']}", json={"name": "Besties"})
    assert r.status_code == 200
    again = await client.get(path, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 200, "the cached feed still showed the old circle name"
    description = str(_events(again.content)["Reconnect with Ann Lee"]["DESCRIPTION"])
    assert "Besties" in description and "Close" not in description
