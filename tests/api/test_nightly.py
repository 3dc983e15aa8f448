"""The nightly job imports every source: a folder and an https URL (here a local server)."""

from __future__ import annotations

import hashlib
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from api.app import create_app
from api.services.nightly import run_user
from api.services.users import find_user
from tests.api.test_imports import JANE_CSV, JANE_VCF


class ExportServer:
    """Serves one export with an ETag and answers 304 to If-None-Match, like a real host."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(dict(self.headers))
                etag = '"' + hashlib.sha256(outer.body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Type", "text/vcard")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/contacts.vcf"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app(clean_db, clock):
    """The export server is on this machine: the operator allows it (KITH_SOURCE_ALLOW_HOSTS)."""
    settings = replace(clean_db, source_allow_hosts=("127.0.0.1",))
    return create_app(settings, clock, migrate_on_start=False, start_scheduler=False)


@pytest.fixture
def export_server() -> Iterator[ExportServer]:
    server = ExportServer(JANE_VCF.read_bytes())
    yield server
    server.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_nightly_imports_a_folder_and_a_url_and_skips_an_unchanged_url_by_its_etag(
    alice, export_server, clean_db, clock
):
    user = await find_user("alice@example.com")
    folder = clean_db.folder_roots(user.id)[0] / "exports"
    folder.mkdir(parents=True)
    shutil.copy(JANE_CSV, folder / "google-2024.csv")
    r = await alice.post("/api/sources", json={"kind": "folder", "location": str(folder)})
    assert r.status_code == 201, r.text
    r = await alice.post("/api/sources", json={"kind": "url", "location": export_server.url})
    assert r.status_code == 201, r.text

    first = await run_user(user, clock(), clean_db)
    assert first["status"] == "ok"
    assert [s["status"] for s in first["sources"]] == ["ok", "ok"]
    names = sorted(c["full_name"] for c in (await alice.get("/api/contacts")).json()["items"])
    assert names == ["Ann Lee", "Jane Doe", "Omar Haddad"]

    clock.advance(days=1)
    second = await run_user(user, clock(), clean_db)
    assert [s["status"] for s in second["sources"]] == ["skipped", "skipped"]
    assert export_server.requests[-1].get("If-None-Match"), "the second fetch is conditional"
    listed = (await alice.get("/api/sources")).json()
    assert [s["last_status"] for s in listed] == ["unchanged", "unchanged"]


async def test_a_failed_source_records_its_error_and_touches_no_data(alice, clock):
    await alice.post(
        "/api/sources",
        json={"kind": "url", "location": f"http://127.0.0.1:{_closed_port()}/gone.vcf"},
    )
    await alice.post("/api/contacts", json={"full_name": "Kept Person"})
    user = await find_user("alice@example.com")
    result = await run_user(user, clock())
    assert result["status"] == "failed"
    source = (await alice.get("/api/sources")).json()[0]
    assert source["last_status"] == "failed" and "could not be fetched" in source["last_error"]
    assert [c["full_name"] for c in (await alice.get("/api/contacts")).json()["items"]] == [
        "Kept Person"
    ]
    nightly = (await alice.get("/api/nightly")).json()
    assert nightly["status"] == "failed" and "failed" in nightly["alert"]


async def test_a_url_source_must_be_https(alice):
    r = await alice.post(
        "/api/sources", json={"kind": "url", "location": "http://example.com/x.vcf"}
    )
    assert r.status_code == 400 and "https" in r.json()["error"]


async def test_a_folder_source_must_be_inside_the_users_own_drop_folder(alice, tmp_path: Path):
    r = await alice.post("/api/sources", json={"kind": "folder", "location": str(tmp_path)})
    assert r.status_code == 400 and "must be inside" in r.json()["error"]
    r = await alice.post("/api/sources", json={"kind": "folder", "location": "/etc"})
    assert r.status_code == 400


async def test_another_users_sources_are_404(alice, bob, clean_db):
    user = await find_user("alice@example.com")
    mine = str(clean_db.folder_roots(user.id)[0])
    r = await alice.post("/api/sources", json={"kind": "folder", "location": mine})
    sid = r.json()["id"]
    assert (await bob.post(f"/api/sources/{sid}/run")).status_code == 404
    assert (await bob.delete(f"/api/sources/{sid}")).status_code == 404
    assert (await bob.get("/api/sources")).json() == []
