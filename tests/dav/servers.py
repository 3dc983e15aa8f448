"""Real CardDAV/CalDAV servers for the tests: Radicale and Xandikos on loopback ports with a
temporary storage folder, each behind a small recording proxy.

The proxy counts every request by method and by the root element of its XML body (so a test can
prove that the sync-collection REPORT was used), enforces HTTP basic auth for Xandikos (which has
none of its own over plain http), and can answer 500 to the Nth multiget.
"""

from __future__ import annotations

import base64
import http.client
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

USER, PASSWORD = "user", "dav-secret-pässword-1"
_ROOT = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?([A-Za-z][\w-]*)[\s>/]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _body_kind(body: bytes) -> str:
    text = re.sub(rb"<\?xml[^>]*\?>", b"", body).lstrip()
    found = _ROOT.match(text)
    return found.group(1).decode() if found else ""


class RecordingProxy:
    def __init__(self, backend_port: int, require_auth: bool) -> None:
        self.backend_port = backend_port
        self.require_auth = require_auth
        self.counts: Counter[str] = Counter()
        self.fail_multiget: int | None = None  # answer 500 to this multiget (1-based)
        self.multigets = 0
        self.log: list[str] = []
        outer = self
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                kind = _body_kind(body) if body else ""
                outer.counts[f"{self.command} {kind}".strip()] += 1
                outer.log.append(f"{self.command} {self.path} {kind}")
                if outer.require_auth and self.headers.get("Authorization") != expected:
                    self._reply(401, {"WWW-Authenticate": 'Basic realm="test"'}, b"")
                    return
                if kind.endswith("-multiget"):
                    outer.multigets += 1
                    if outer.fail_multiget == outer.multigets:
                        self._reply(500, {"Content-Type": "text/plain"}, b"boom")
                        return
                conn = http.client.HTTPConnection("127.0.0.1", outer.backend_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                if outer.require_auth:
                    headers.pop("Authorization", None)
                conn.request(self.command, self.path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
                out = {
                    k: v
                    for k, v in response.getheaders()
                    if k.lower() not in {"transfer-encoding", "connection", "content-length"}
                }
                conn.close()
                self._reply(response.status, out, data)

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = do_MKCOL = do_OPTIONS = _any
            do_HEAD = do_PROPPATCH = do_POST = _any

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        self.counts.clear()
        self.log.clear()
        self.multigets = 0
        self.fail_multiget = None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DavServer:
    """One running server: `name`, the proxy in front, where new collections go."""

    def __init__(self, name: str, storage: Path) -> None:
        self.name = name
        self.backend_port = free_port()
        self.log_path = storage / "server.log"
        if name == "radicale":
            htpasswd = storage / "users"
            htpasswd.write_text(f"{USER}:{PASSWORD}\n")
            config = storage / "config"
            config.write_text(
                f"[server]\nhosts = 127.0.0.1:{self.backend_port}\n"
                f"[auth]\ntype = htpasswd\nhtpasswd_filename = {htpasswd}\n"
                "htpasswd_encryption = plain\n"
                "[rights]\ntype = owner_only\n"
                f"[storage]\nfilesystem_folder = {storage / 'collections'}\n"
            )
            args = [sys.executable, str(Path(__file__).with_name("run_radicale.py")), str(config)]
            self.card_home = f"/{USER}/"
            self.cal_home = f"/{USER}/"
        else:
            exe = str(Path(sys.executable).with_name("xandikos"))
            args = [
                exe, "serve", "-d", str(storage / "data"), "--defaults",
                "-l", "127.0.0.1", "-p", str(self.backend_port),
                "--current-user-principal", f"/{USER}/",
                "--no-detect-systemd", "--state-dir", str(storage / "state"),
            ]  # fmt: skip
            self.card_home = f"/{USER}/contacts/"
            self.cal_home = f"/{USER}/calendars/"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.proxy = RecordingProxy(self.backend_port, require_auth=name == "xandikos")
        self.base = f"http://127.0.0.1:{self.proxy.port}"
        self.host = f"127.0.0.1:{self.proxy.port}"
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.backend_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start")

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, auth=(USER, PASSWORD), timeout=30)

    def new_collection(self, kind: str) -> str:
        """A fresh, empty address book or calendar; its URL."""
        home = self.card_home if kind == "carddav" else self.cal_home
        path = f"{home}{kind}-{uuid.uuid4().hex[:10]}/"
        rtype = "<C:addressbook/>" if kind == "carddav" else "<A:calendar/>"
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav" '
            'xmlns:A="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
            f"<D:resourcetype><D:collection/>{rtype}</D:resourcetype>"
            "<D:displayname>Test</D:displayname></D:prop></D:set></D:mkcol>"
        )
        with self.http() as c:
            r = c.request("MKCOL", path, content=body, headers={"Content-Type": "application/xml"})
            assert r.status_code in {201, 200}, (r.status_code, r.text)
        return self.base + path

    def put(self, url: str, name: str, data: str) -> None:
        kind = "text/vcard" if data.startswith("BEGIN:VCARD") else "text/calendar"
        with self.http() as c:
            r = c.put(url + name, content=data.encode(), headers={"Content-Type": kind})
            assert r.status_code in {200, 201, 204}, (r.status_code, r.text)

    def delete(self, url: str, name: str) -> None:
        with self.http() as c:
            r = c.delete(url + name)
            assert r.status_code in {200, 204}, (r.status_code, r.text)

    def close(self) -> None:
        self.proxy.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def apple_card(i: int) -> str:
    """An Apple Contacts flavoured vCard 3.0 (grouped items, X-ABLabel), as in the corpus."""
    return "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            "PRODID:-//Apple Inc.//iPhone OS 17.1//EN",
            f"N:Apple{i:03d};Person;;;",
            f"FN:Person Apple{i:03d}",
            "ORG:Example Company;",
            f"item1.EMAIL;type=INTERNET;type=pref:apple{i:03d}@example.com",
            "item1.X-ABLabel:_$!<Other>!$_",
            f"TEL;type=CELL;type=VOICE;type=pref:+1 415 555 {i:04d}",
            f"UID:APPLE-{i:05d}-1B96-41EA-994D-335192BEDCCD",
            "END:VCARD",
            "",
        ]
    )


def google_card(i: int, note: str = "") -> str:
    """A Google Contacts flavoured vCard 3.0 (TYPE=INTERNET emails, N then FN), as in the corpus."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:Guest Google{i:03d}",
        f"N:Google{i:03d};Guest;;;",
        f"EMAIL;TYPE=INTERNET;TYPE=HOME:google{i:03d}@example.org",
        f"UID:google-{i:05d}",
    ]
    if note:
        lines.append(f"NOTE:{note}")
    return "\r\n".join([*lines, "END:VCARD", ""])


def card(i: int, note: str = "") -> str:
    return apple_card(i) if i % 2 == 0 and not note else google_card(i, note)


def fill(dav: DavServer, url: str, n: int) -> None:
    """`n` cards named card-000.vcf and on, Apple and Google flavours alternating."""
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: dav.put(url, f"card-{i:03d}.vcf", card(i)), range(n)))
