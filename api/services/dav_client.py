"""A read-only CardDAV/CalDAV client on the guarded outbound client (api/outbound.py).

Discovery (RFC 6764 section 6, RFC 5397, RFC 6352 section 7.1.1, RFC 4791 section 6.2.1),
sync-collection (RFC 6578), ETag listings (RFC 4918 PROPFIND Depth 1) and multigets. Every
failure is a `DavError` whose text is one plain sentence for the user.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from api import outbound
from api.outbound import OutboundPolicy
from pipeline.formats.dav import requests as bodies
from pipeline.formats.dav.changes import Changes, batches, from_sync, listing
from pipeline.formats.dav.discovery import (
    WELL_KNOWN,
    Collection,
    Kind,
    collections_in,
    read_found,
    resource_data,
)
from pipeline.formats.dav.multistatus import (
    DAV,
    DavXmlError,
    Multistatus,
    is_invalid_sync_token,
    parse_multistatus,
    resolve,
)

log = logging.getLogger("kith.dav")
MULTIGET_BATCH = 100  # hrefs per multiget: servers cap request sizes (iCloud near a few hundred)
XML = "application/xml; charset=utf-8"


class DavError(Exception):
    """A sync that cannot go on; `str()` is what the source shows."""


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str
    policy: OutboundPolicy

    def __repr__(self) -> str:  # never the password, even in a traceback's locals
        return f"Account({self.url!r}, {self.username!r})"


async def _send(
    account: Account,
    method: str,
    url: str,
    body: bytes,
    depth: str,
    accept: tuple[int, ...] = (),
) -> outbound.OutboundResponse:
    headers = {"Depth": depth, "Content-Type": XML, "User-Agent": "Kith nightly import"}
    auth = (account.username, account.password) if account.username else None
    try:
        return await outbound.request(
            account.policy, method, url, headers=headers, content=body, auth=auth, accept=accept
        )
    except outbound.OutboundError as exc:
        raise DavError(exc.user_message) from None


def _multistatus(response: outbound.OutboundResponse) -> Multistatus:
    if response.status != 207:
        raise DavError("the server did not answer as a CardDAV or CalDAV server")
    try:
        return parse_multistatus(response.content)
    except DavXmlError as exc:
        log.warning("dav answer from %s unreadable: %s", urlsplit(response.url).netloc, exc)
        raise DavError("the server's answer could not be read") from None


async def propfind(account: Account, url: str, depth: str) -> tuple[Multistatus, str]:
    response = await _send(account, "PROPFIND", url, bodies.propfind(), depth, accept=(404, 405))
    if response.status in {404, 405}:
        return Multistatus(()), response.url
    return _multistatus(response), response.url


def _well_known(url: str, kind: Kind) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN[kind], "", ""))


def _absolute(base: str, found: Collection) -> Collection:
    return Collection(resolve(base, found.href), found.name, found.supports_sync)


async def discover(account: Account, kind: Kind) -> list[Collection]:
    """The address books (or calendars) of the account. The location may be a collection, a
    home set, a principal, the server root or its /.well-known URL (tried first for a root,
    RFC 6764 section 5)."""
    path = urlsplit(account.url).path
    starts = [account.url]
    if path in {"", "/"}:
        starts.insert(0, _well_known(account.url, kind))
    for start in starts:
        ms, url = await propfind(account, start, "0")
        found = read_found(ms, kind)
        if found.collection is not None:
            return [_absolute(url, found.collection)]
        homes = [resolve(url, h) for h in found.home_sets]
        if not homes and found.principal:
            principal, purl = await propfind(account, resolve(url, found.principal), "0")
            homes = [resolve(purl, h) for h in read_found(principal, kind).home_sets]
        if not homes and ms.responses:
            homes = [url]  # a home set itself lists no home-set property
        collections: list[Collection] = []
        for home in homes:
            listed, lurl = await propfind(account, home, "1")
            collections += [_absolute(lurl, c) for c in collections_in(listed, kind)]
        if collections:
            return collections
    what = "address book" if kind == "carddav" else "calendar"
    raise DavError(f"no {what} was found at this address")


async def sync_changes(account: Account, collection: str, token: str | None) -> Changes | None:
    """RFC 6578 sync-collection from `token` (None: from scratch); None when the server says
    the token is no longer valid (section 3.2: 403 or 409 with DAV:valid-sync-token; Xandikos
    sends the same error as a 412)."""
    response = await _send(
        account, "REPORT", collection, bodies.sync_collection(token), "0", accept=(403, 409, 412)
    )
    if response.status in {403, 409, 412}:
        if token and is_invalid_sync_token(response.content):
            return None
        kind = "refused-credentials" if response.status == 403 else "http-error"
        raise DavError(outbound.MESSAGES[kind])
    return from_sync(_multistatus(response), collection)


async def etag_listing(account: Account, collection: str) -> dict[str, str]:
    """href -> etag of every member (for servers without sync-collection)."""
    body = bodies.propfind([(DAV, "getetag"), (DAV, "resourcetype")])
    response = await _send(account, "PROPFIND", collection, body, "1")
    return listing(_multistatus(response), collection)


async def calendar_etags(
    account: Account, collection: str, start: dt.datetime, end: dt.datetime
) -> dict[str, str]:
    """href -> etag of the events overlapping [start, end) (RFC 4791 calendar-query)."""
    body = bodies.calendar_query(start, end)
    response = await _send(account, "REPORT", collection, body, "1")
    return listing(_multistatus(response), collection)


async def multiget(
    account: Account, kind: Kind, collection: str, hrefs: list[str]
) -> dict[str, tuple[str, str]]:
    """href -> (etag, data) for `hrefs`, fetched in batches; any failed batch fails it all."""
    build = bodies.addressbook_multiget if kind == "carddav" else bodies.calendar_multiget
    out: dict[str, tuple[str, str]] = {}
    for batch in batches(sorted(hrefs), MULTIGET_BATCH):
        response = await _send(account, "REPORT", collection, build(batch), "1")
        out.update(resource_data(_multistatus(response), kind))
    return out
