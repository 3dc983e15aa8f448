"""The one guarded HTTP client for every request Kith makes (DESIGN.md section 9).

URL sources now, CardDAV/CalDAV next: each request resolves the host once, refuses internal
addresses (unless the operator allowed the host), connects to the very address it checked (no
second DNS lookup, so no DNS rebinding between check and connect), follows redirects by hand
re-checking every hop, and bounds the whole transfer by one deadline and one size limit.

Users only ever see one generic sentence per failure class (`OutboundError.user_message`): no
status codes, ports, addresses or exception names, so the error text is no port-scan oracle.
The details go to the server log ("kith.outbound").
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import anyio
import httpx

if TYPE_CHECKING:
    from api.settings import Settings

log = logging.getLogger("kith.outbound")

Kind = Literal[
    "not-allowed", "unreachable", "too-large", "too-slow", "refused-credentials", "http-error"
]
MESSAGES: dict[str, str] = {
    "not-allowed": "the address is not allowed",
    "unreachable": "the address could not be fetched",
    "http-error": "the address could not be fetched",
    "too-large": "the download is too large",
    "too-slow": "the download was too slow",
    "refused-credentials": "the server refused the username or password",
}
REDIRECTS = {301, 302, 303, 307, 308}
# Headers that carry the user's identity: never sent to another origin after a redirect.
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598 shared address space
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
# RFC 6761 section 6 and RFC 8375: names that are local by definition; refused without asking DNS
# (section 6.4: "invalid" names should get a negative answer without a query).
SPECIAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".invalid", ".test")
SPECIAL_NAMES = {"localhost", "invalid", "test", "local", "internal"}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class OutboundPolicy:
    """What one caller may reach. `allow_hosts` holds lowercase "host" or "host:port" entries
    (from KITH_SOURCE_ALLOW_HOSTS): those skip the address check and may use plain http."""

    allow_hosts: frozenset[str] = frozenset()
    deadline_s: float = 60.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    connect_timeout_s: float = 10.0
    verify: ssl.SSLContext | bool = field(default=True, compare=False)

    def allows(self, host: str, port: int) -> bool:
        host = host.lower()
        named = f"[{host}]" if ":" in host else host
        return bool({host, named, f"{named}:{port}"} & self.allow_hosts)


def policy_from(settings: Settings) -> OutboundPolicy:
    return OutboundPolicy(allow_hosts=frozenset(h.lower() for h in settings.source_allow_hosts))


_configured: OutboundPolicy | None = None


def configure(policy: OutboundPolicy) -> None:
    """create_app sets the process's policy from its Settings (like db.configure)."""
    global _configured
    _configured = policy


def current_policy() -> OutboundPolicy:
    """The configured policy; outside an app (the CLI) the one KITH_SOURCE_ALLOW_HOSTS gives."""
    if _configured is not None:
        return _configured
    from api.settings import Settings

    return policy_from(Settings.from_env())


@dataclass
class OutboundResponse:
    status: int
    headers: httpx.Headers
    content: bytes
    url: str  # the final URL, after redirects


class OutboundError(Exception):
    """A request that failed; `str()` is the generic user message, never the detail."""

    def __init__(self, kind: Kind) -> None:
        super().__init__(MESSAGES[kind])
        self.kind: Kind = kind
        self.user_message = MESSAGES[kind]


def _fail(kind: Kind, url: httpx.URL, detail: str) -> OutboundError:
    # Only the origin is logged: a feed's path and query are often its secret.
    log.warning("outbound %s://%s refused as %s: %s", url.scheme, _netloc(url), kind, detail)
    return OutboundError(kind)


def _netloc(url: httpx.URL) -> str:
    return url.netloc.decode("ascii", "replace")


def refused_address(address: Address) -> bool:
    """True for every address that is not plainly public: loopback, private, link-local, CGNAT,
    multicast, reserved, unspecified, IPv6 ULA and site-local, and IPv4 embedded in IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        # v4-mapped and NAT64 (RFC 6052) addresses reach the embedded IPv4 address: judge that.
        if address.ipv4_mapped is not None:
            return refused_address(address.ipv4_mapped)
        if address in NAT64:
            return refused_address(ipaddress.IPv4Address(address.packed[-4:]))
        tunnelled = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if (tunnelled is not None and refused_address(tunnelled)) or address.is_site_local:
            return True
    elif address in CGNAT:
        return True
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[Address]:
    """Every address the name has (one lookup; the caller connects to one of these)."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address not in found:
            found.append(address)
    return found


async def _addresses(policy: OutboundPolicy, url: httpx.URL) -> list[Address]:
    """The checked addresses to connect to for `url`, or OutboundError."""
    if url.scheme not in {"http", "https"} or not url.raw_host:
        raise _fail("not-allowed", url, "not an http(s) URL")
    host = url.raw_host.decode("ascii").lower().rstrip(".")
    port = url.port or (443 if url.scheme == "https" else 80)
    allowed = policy.allows(host, port)
    if url.scheme == "http" and not allowed:
        raise _fail("not-allowed", url, "plain http to a host not in KITH_SOURCE_ALLOW_HOSTS")
    if not allowed and (host in SPECIAL_NAMES or host.endswith(SPECIAL_SUFFIXES)):
        raise _fail("not-allowed", url, "a special-use (local) name")
    try:
        with anyio.fail_after(policy.connect_timeout_s):
            addresses = await _resolve(host, port)
    except (OSError, UnicodeError, ValueError) as exc:
        raise _fail("unreachable", url, f"name lookup failed ({exc!r})") from None
    except TimeoutError:
        raise _fail("unreachable", url, "name lookup timed out") from None
    if not addresses:
        raise _fail("unreachable", url, "the name has no address")
    refused = [str(a) for a in addresses if refused_address(a)]
    if refused and not allowed:
        raise _fail("not-allowed", url, f"resolves to internal address(es) {refused}")
    return addresses


async def check_url(policy: OutboundPolicy, url: str) -> None:
    """The checks `request` makes before connecting (for a source at creation): scheme, allowed
    host, every resolved address. Raises OutboundError."""
    await _addresses(policy, _parse(url))


def _parse(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise _fail("not-allowed", httpx.URL(), "not a valid URL") from None


def _follow(url: httpx.URL, location: str) -> httpx.URL:
    try:
        return url.join(location).copy_with(userinfo=b"")
    except (httpx.InvalidURL, TypeError, ValueError):
        raise _fail("http-error", url, "a redirect to an invalid URL") from None


def _origin(url: httpx.URL) -> tuple[str, bytes, int | None]:
    return url.scheme, url.raw_host.lower(), url.port


async def request(
    policy: OutboundPolicy,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    auth: tuple[str, str] | None = None,
    accept: Collection[int] = (),
) -> OutboundResponse:
    """One guarded request. A 401/403 raises "refused-credentials" and any other status >= 400
    "http-error", unless the status is in `accept` (e.g. a DAV client reading 404 or 409)."""
    current = _parse(url)
    if auth is None and (current.username or current.password):
        auth = (current.username, current.password)
    current = current.copy_with(userinfo=b"")
    sent = httpx.Headers({"Accept-Encoding": "identity", **(headers or {})})
    try:
        with anyio.fail_after(policy.deadline_s):
            for _hop in range(policy.max_redirects + 1):
                response = await _one_hop(policy, method, current, sent, content, auth, accept)
                if isinstance(response, OutboundResponse):
                    return response
                status, location = response
                following = _follow(current, location)
                if _origin(following) != _origin(current):
                    # RFC 9110 section 15.4: credentials are for the origin that asked for them.
                    auth = None
                    for name in CREDENTIAL_HEADERS:
                        sent.pop(name, None)
                if (status == 303 and method != "HEAD") or (
                    status in {301, 302} and method == "POST"
                ):
                    # RFC 9110 sections 15.4.2-15.4.4: the follow-up is a GET without the body.
                    method, content = "GET", None
                    sent.pop("content-type", None)
                current = following
            raise _fail("http-error", current, f"more than {policy.max_redirects} redirects")
    except TimeoutError:
        raise _fail("too-slow", current, f"over the {policy.deadline_s} s deadline") from None


async def fetch(
    policy: OutboundPolicy, url: str, headers: Mapping[str, str] | None = None
) -> OutboundResponse:
    return await request(policy, "GET", url, headers=headers)


async def _one_hop(
    policy: OutboundPolicy,
    method: str,
    url: httpx.URL,
    headers: httpx.Headers,
    content: bytes | None,
    auth: tuple[str, str] | None,
    accept: Collection[int],
) -> OutboundResponse | tuple[int, str]:
    """One request to one checked address: the response, or (status, Location) to follow."""
    addresses = await _addresses(policy, url)
    host = url.raw_host.decode("ascii")
    extensions = {} if _literal(host) else {"sni_hostname": host}
    hop_headers = httpx.Headers(headers)
    hop_headers["Host"] = _netloc(url)
    timeout = httpx.Timeout(policy.deadline_s, connect=policy.connect_timeout_s)
    failures = []
    for address in addresses:
        # The URL names the address we checked; Host and TLS (SNI and certificate verification,
        # httpcore's sni_hostname) still use the name.
        target = url.copy_with(host=str(address))
        async with httpx.AsyncClient(
            verify=policy.verify, timeout=timeout, follow_redirects=False, trust_env=False
        ) as client:
            try:
                async with client.stream(
                    method,
                    target,
                    headers=hop_headers,
                    content=content,
                    auth=auth,
                    extensions=extensions,
                ) as response:
                    return await _finish(policy, url, response, accept)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failures.append(f"{address}: {exc!r}")
            except httpx.TimeoutException as exc:
                raise _fail("too-slow", url, repr(exc)) from None
            except httpx.HTTPError as exc:
                raise _fail("unreachable", url, f"{address}: {exc!r}") from None
    raise _fail("unreachable", url, "; ".join(failures))


async def _finish(
    policy: OutboundPolicy, url: httpx.URL, response: httpx.Response, accept: Collection[int]
) -> OutboundResponse | tuple[int, str]:
    status = response.status_code
    location = response.headers.get("location")
    if status in REDIRECTS and location:
        return status, location
    if status not in accept:
        if status in {401, 403}:
            raise _fail("refused-credentials", url, f"HTTP {status}")
        if status >= 400:
            raise _fail("http-error", url, f"HTTP {status}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise _fail("too-large", url, f"declares {declared} bytes")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > policy.max_bytes:
            raise _fail("too-large", url, f"body over {policy.max_bytes} bytes, cut off")
        chunks.append(chunk)
    return OutboundResponse(status, response.headers, b"".join(chunks), str(url))
