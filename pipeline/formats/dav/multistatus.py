"""Reading WebDAV `multistatus` answers (RFC 4918 section 13) and what CardDAV/CalDAV put in them.

Only properties inside a `propstat` whose status is 2xx count: RFC 4918 section 9.1 reports a
property the server does not have as a 404 propstat of the same response. A `response` with a
top-level `status` and no `propstat` is a member that is gone (RFC 6578 section 3.5.2).

XML is parsed with the standard library's expat: expat >= 2.4.1 refuses entity expansion bombs
and ElementTree never fetches external entities; a DOCTYPE is refused outright, since no DAV
server needs one.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit

DAV = "DAV:"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
CALDAV = "urn:ietf:params:xml:ns:caldav"
_STATUS = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})")


def clark(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


class DavXmlError(ValueError):
    """A body that is not a readable DAV XML document."""


@dataclass(frozen=True)
class Prop:
    """One property: its text (stripped), the hrefs inside it, and every element name below it
    (a resourcetype's `addressbook`, a supported-report-set's `sync-collection`)."""

    text: str = ""
    hrefs: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DavResponse:
    href: str
    status: int | None = None  # the response-level status, when there is one
    props: dict[str, Prop] = field(default_factory=dict)

    @property
    def gone(self) -> bool:
        return self.status == 404 and not self.props

    def text(self, ns: str, name: str) -> str | None:
        prop = self.props.get(clark(ns, name))
        return None if prop is None else prop.text

    def hrefs(self, ns: str, name: str) -> tuple[str, ...]:
        prop = self.props.get(clark(ns, name))
        return () if prop is None else prop.hrefs

    def has_tag(self, ns: str, name: str, tag_ns: str, tag: str) -> bool:
        prop = self.props.get(clark(ns, name))
        return prop is not None and clark(tag_ns, tag) in prop.tags


@dataclass(frozen=True)
class Multistatus:
    responses: tuple[DavResponse, ...]
    sync_token: str | None = None  # RFC 6578 section 6.2, beside the responses


def _status(text: str | None) -> int | None:
    found = _STATUS.match((text or "").strip())
    return int(found.group(1)) if found else None


def parse_xml(body: bytes) -> ET.Element:
    if b"<!DOCTYPE" in body[:4096].upper():
        raise DavXmlError("a DOCTYPE in a DAV answer")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise DavXmlError(f"not XML: {exc}") from None


def _prop(element: ET.Element) -> Prop:
    hrefs = tuple(
        (h.text or "").strip() for h in element.iter(clark(DAV, "href")) if (h.text or "").strip()
    )
    tags = frozenset(e.tag for e in element.iter() if e is not element)
    text = "" if len(element) else (element.text or "").strip()
    return Prop(text=text, hrefs=hrefs, tags=tags)


def parse_multistatus(body: bytes) -> Multistatus:
    root = parse_xml(body)
    if root.tag != clark(DAV, "multistatus"):
        raise DavXmlError(f"expected a multistatus, got {root.tag}")
    responses = []
    for response in root.findall(clark(DAV, "response")):
        href = (response.findtext(clark(DAV, "href")) or "").strip()
        if not href:
            continue
        props: dict[str, Prop] = {}
        for propstat in response.findall(clark(DAV, "propstat")):
            code = _status(propstat.findtext(clark(DAV, "status")))
            if code is None or not 200 <= code < 300:
                continue
            for container in propstat.findall(clark(DAV, "prop")):
                for element in container:
                    props[element.tag] = _prop(element)
        status = _status(response.findtext(clark(DAV, "status")))
        responses.append(DavResponse(href=href, status=status, props=props))
    token = root.findtext(clark(DAV, "sync-token"))
    return Multistatus(tuple(responses), token.strip() if token else None)


def is_invalid_sync_token(body: bytes) -> bool:
    """RFC 6578 section 3.2: a 403 or 409 whose `DAV:error` holds `DAV:valid-sync-token` means
    the token expired or was never valid; the client starts over with an empty token."""
    try:
        root = parse_xml(body)
    except DavXmlError:
        return False
    return root.find(f".//{clark(DAV, 'valid-sync-token')}") is not None or (
        root.tag == clark(DAV, "valid-sync-token")
    )


def resolve(base: str, href: str) -> str:
    """An href of an answer as an absolute URL (hrefs are usually absolute paths)."""
    return urljoin(base, href)


def same_path(a: str, b: str) -> bool:
    """Whether two hrefs or URLs name one resource (percent-encoding and a final slash aside)."""
    pa, pb = unquote(urlsplit(a).path).rstrip("/"), unquote(urlsplit(b).path).rstrip("/")
    return pa == pb


def member_key(href: str) -> str:
    """One spelling per member: servers may percent-encode an href differently in the sync
    answer and in the multiget answer (RFC 3986 section 6.2.2 normalization)."""
    return unquote(urlsplit(href).path)


def member_href(key: str) -> str:
    """The key as an href to send back (RFC 4918 section 8.3: an absolute path, encoded)."""
    return quote(key, safe="/@:+,;=!$&'()*~")
