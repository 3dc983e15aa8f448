"""Finding a user's address books and calendars (RFC 6764 section 6, RFC 5397, RFC 6352 7.1,
RFC 4791 6.2): what one PROPFIND answer says about the next step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pipeline.formats.dav.multistatus import (
    CALDAV,
    CARDDAV,
    DAV,
    DavResponse,
    Multistatus,
    member_key,
)

Kind = Literal["carddav", "caldav"]
HOME_SET = {"carddav": (CARDDAV, "addressbook-home-set"), "caldav": (CALDAV, "calendar-home-set")}
COLLECTION_TYPE = {"carddav": (CARDDAV, "addressbook"), "caldav": (CALDAV, "calendar")}
WELL_KNOWN = {"carddav": "/.well-known/carddav", "caldav": "/.well-known/caldav"}


@dataclass(frozen=True)
class Collection:
    href: str
    name: str
    supports_sync: bool  # RFC 6578 section 3.1: sync-collection in supported-report-set


@dataclass(frozen=True)
class Found:
    """What a Depth 0 PROPFIND of one URL told: the collection it is, a home set, a principal."""

    collection: Collection | None = None
    home_sets: tuple[str, ...] = ()
    principal: str | None = None


def _collection(r: DavResponse, kind: Kind) -> Collection | None:
    ns, tag = COLLECTION_TYPE[kind]
    if not r.has_tag(DAV, "resourcetype", ns, tag):
        return None
    name = r.text(DAV, "displayname") or r.href.rstrip("/").rsplit("/", 1)[-1] or r.href
    sync = r.has_tag(DAV, "supported-report-set", DAV, "sync-collection") or bool(
        r.text(DAV, "sync-token")
    )
    return Collection(href=r.href, name=name, supports_sync=sync)


def read_found(ms: Multistatus, kind: Kind) -> Found:
    if not ms.responses:
        return Found()
    first = ms.responses[0]
    principal = next(iter(first.hrefs(DAV, "current-user-principal")), None)
    return Found(
        collection=_collection(first, kind),
        home_sets=first.hrefs(*HOME_SET[kind]),
        principal=principal,
    )


def collections_in(ms: Multistatus, kind: Kind) -> list[Collection]:
    """The address books (or calendars) a Depth 1 PROPFIND of a home set lists."""
    found = [c for r in ms.responses if (c := _collection(r, kind)) is not None]
    return sorted(found, key=lambda c: c.href)


def resource_data(ms: Multistatus, kind: Kind) -> dict[str, tuple[str, str]]:
    """href -> (etag, address-data or calendar-data) of a multiget answer; members whose data
    is missing (a 404 propstat) are left out, so the caller can tell they were not delivered."""
    ns, name = (CARDDAV, "address-data") if kind == "carddav" else (CALDAV, "calendar-data")
    out: dict[str, tuple[str, str]] = {}
    for r in ms.responses:
        data = r.text(ns, name)
        if data:
            out[member_key(r.href)] = (r.text(DAV, "getetag") or "", data)
    return out
