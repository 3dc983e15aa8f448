"""Request bodies: PROPFIND (RFC 4918 9.1), sync-collection (RFC 6578 3.2), addressbook-multiget
(RFC 6352 8.7), calendar-multiget (RFC 4791 7.9) and calendar-query with a time-range (7.8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from xml.sax.saxutils import escape

from pipeline.formats.dav.multistatus import CALDAV, CARDDAV, DAV, member_href

_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'
_NS = f'xmlns:D="{DAV}" xmlns:C="{CARDDAV}" xmlns:A="{CALDAV}"'
PREFIX = {DAV: "D", CARDDAV: "C", CALDAV: "A"}

PropName = tuple[str, str]  # (namespace, local name)
DISCOVERY_PROPS: tuple[PropName, ...] = (
    (DAV, "resourcetype"),
    (DAV, "displayname"),
    (DAV, "current-user-principal"),
    (CARDDAV, "addressbook-home-set"),
    (CALDAV, "calendar-home-set"),
    (DAV, "supported-report-set"),
    (DAV, "sync-token"),
)


def _props(props: Iterable[PropName]) -> str:
    return "".join(f"<{PREFIX[ns]}:{name}/>" for ns, name in props)


def _hrefs(hrefs: Iterable[str]) -> str:
    return "".join(f"<D:href>{escape(member_href(h))}</D:href>" for h in hrefs)


def propfind(props: Iterable[PropName] = DISCOVERY_PROPS) -> bytes:
    return f"{_HEAD}<D:propfind {_NS}><D:prop>{_props(props)}</D:prop></D:propfind>".encode()


def sync_collection(token: str | None) -> bytes:
    """The first sync sends an empty sync-token element (RFC 6578 section 3.2)."""
    tok = escape(token or "")
    return (
        f"{_HEAD}<D:sync-collection {_NS}><D:sync-token>{tok}</D:sync-token>"
        f"<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
    ).encode()


def addressbook_multiget(hrefs: Iterable[str]) -> bytes:
    return (
        f"{_HEAD}<C:addressbook-multiget {_NS}><D:prop><D:getetag/><C:address-data/></D:prop>"
        f"{_hrefs(hrefs)}</C:addressbook-multiget>"
    ).encode()


def calendar_multiget(hrefs: Iterable[str]) -> bytes:
    return (
        f"{_HEAD}<A:calendar-multiget {_NS}><D:prop><D:getetag/><A:calendar-data/></D:prop>"
        f"{_hrefs(hrefs)}</A:calendar-multiget>"
    ).encode()


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_query(start: dt.datetime, end: dt.datetime) -> bytes:
    """The events overlapping [start, end) (RFC 4791 section 9.9), etags only: the data of the
    changed ones comes from a multiget."""
    return (
        f"{_HEAD}<A:calendar-query {_NS}><D:prop><D:getetag/></D:prop><A:filter>"
        f'<A:comp-filter name="VCALENDAR"><A:comp-filter name="VEVENT">'
        f'<A:time-range start="{_utc(start)}" end="{_utc(end)}"/>'
        f"</A:comp-filter></A:comp-filter></A:filter></A:calendar-query>"
    ).encode()
