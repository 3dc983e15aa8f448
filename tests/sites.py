"""Local web sites for outbound tests: plain or TLS with a throwaway test CA, on loopback only.

The CA and the server certificate are made with the `openssl` command (no extra Python
dependency); the certificate names every host the tests use, so TLS verification is real.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# The names the server certificate is valid for: loopback and two names the tests resolve by hand.
CERT_NAMES = ("localhost", "export.example.com", "kith-export.test")
CERT_IPS = ("127.0.0.1", "127.0.0.2")


@dataclass(frozen=True)
class TestTLS:
    __test__ = False  # a helper, not a test class
    ca_file: Path
    cert_file: Path
    key_file: Path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def make_tls(folder: Path) -> TestTLS:
    """A test CA and a server certificate it signed, for CERT_NAMES and CERT_IPS."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=Kith test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    openssl("req", *ec, "-keyout", "site.key", "-out", "site.csr", "-subj", "/CN=localhost")
    names = [f"DNS:{n}" for n in CERT_NAMES] + [f"IP:{ip}" for ip in CERT_IPS]
    (folder / "site.ext").write_text(
        f"subjectAltName={','.join(names)}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    openssl("x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "site.pem", "-days", "2", "-extfile", "site.ext")  # fmt: skip
    return TestTLS(folder / "ca.pem", folder / "site.pem", folder / "site.key")


Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Site:
    """A threaded HTTP(S) server on `host`; `routes` maps a path to a handler, `seen` records
    every request it got (so a test can show a request was never made)."""

    host: str
    tls: TestTLS | None = None
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.seen.append(Seen(self.path, dict(self.headers)))
                route = site.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                # The client going away (cut off, timed out) is the point of some tests.
                with contextlib.suppress(OSError):
                    route(self)

            def log_message(self, *args: Any) -> None:
                pass

        context = self.tls.server_context() if self.tls else None

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request: Any, client_address: Any) -> None:
                if context is not None:
                    try:
                        request = context.wrap_socket(request, server_side=True)
                    except OSError:
                        return  # the client refused the certificate
                super().finish_request(request, client_address)

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.server = Server((self.host, 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def url(self, path: str, host: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def body(content: bytes, content_type: str = "text/vcard", **headers: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(content)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(content)

    return route


def redirect(location: str, status: int = 302) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def status(code: int) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(code)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def basic_auth(user: str, password: str, then: Route) -> Route:
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def route(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Authorization") != expected:
            status(401)(handler)
            return
        then(handler)

    return route


def drip(line: bytes, every_s: float, lines: int) -> Route:
    """A slow source: one line every `every_s` seconds, each read well inside any read timeout."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/vcard")
        handler.end_headers()
        for _ in range(lines):
            handler.wfile.write(line)
            handler.wfile.flush()
            time.sleep(every_s)

    return route


def endless(chunk: bytes, declared: int | None = None) -> Route:
    """A body that never ends (until the client hangs up), optionally declaring a length."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        if declared is not None:
            handler.send_header("Content-Length", str(declared))
        handler.end_headers()
        while True:
            handler.wfile.write(chunk)

    return route


def closed_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
