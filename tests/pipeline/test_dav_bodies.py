"""WebDAV multistatus parsing, sync-collection changes, discovery and request bodies."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from pipeline.formats.dav import requests
from pipeline.formats.dav.changes import batches, compare, from_sync, listing
from pipeline.formats.dav.discovery import collections_in, read_found, resource_data
from pipeline.formats.dav.multistatus import (
    DavXmlError,
    is_invalid_sync_token,
    parse_multistatus,
    resolve,
    same_path,
)

SYNC = b"""<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:">
  <d:response><d:href>/u/book/</d:href>
    <d:propstat><d:prop><d:getetag/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
  </d:response>
  <d:response><d:href>/u/book/a.vcf</d:href>
    <d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
  </d:response>
  <d:response><d:href>/u/book/b.vcf</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
  <d:sync-token>http://example.com/sync/7</d:sync-token>
</d:multistatus>"""

HOME = b"""<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
 <response><href>/u/</href><propstat><prop><resourcetype><collection/></resourcetype></prop>
  <status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/u/work/</href><propstat><prop>
  <resourcetype><collection/><C:addressbook/></resourcetype><displayname>Work</displayname>
  <supported-report-set><supported-report><report><sync-collection/></report></supported-report>
  </supported-report-set></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/u/home/</href><propstat><prop>
  <resourcetype><collection/><C:addressbook/></resourcetype></prop>
  <status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>"""


def test_a_sync_answer_lists_changed_members_deleted_members_and_the_new_token() -> None:
    changes = from_sync(parse_multistatus(SYNC), "http://h/u/book")
    assert changes.changed == {"/u/book/a.vcf": '"1"'}
    assert changes.deleted == ("/u/book/b.vcf",)
    assert changes.sync_token == "http://example.com/sync/7"


def test_an_etag_listing_compared_with_the_last_run_gives_new_changed_and_deleted() -> None:
    changes = compare({"a": "1", "b": "2", "c": "9"}, {"a": "1", "c": "3", "d": "4"})
    assert changes.changed == {"b": "2", "c": "9"}
    assert changes.deleted == ("d",)


def test_a_depth_one_listing_skips_the_collection_itself_and_sub_collections() -> None:
    assert listing(parse_multistatus(HOME), "/u/") == {}
    assert listing(parse_multistatus(SYNC), "/u/book/") == {"/u/book/a.vcf": '"1"'}


def test_a_home_set_listing_gives_each_address_book_with_its_name_and_sync_support() -> None:
    found = collections_in(parse_multistatus(HOME), "carddav")
    assert [(c.href, c.name, c.supports_sync) for c in found] == [
        ("/u/home/", "home", False),
        ("/u/work/", "Work", True),
    ]


def test_a_principal_answer_names_the_principal_and_the_home_set() -> None:
    body = b"""<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
    <D:response><D:href>/</D:href><D:propstat><D:prop>
    <D:current-user-principal><D:href>/principals/me/</D:href></D:current-user-principal>
    <C:addressbook-home-set><D:href>/homes/me/</D:href></C:addressbook-home-set>
    </D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"""
    found = read_found(parse_multistatus(body), "carddav")
    assert found.principal == "/principals/me/"
    assert found.home_sets == ("/homes/me/",)
    assert found.collection is None


def test_multiget_data_is_read_per_href_and_missing_members_are_left_out() -> None:
    body = b"""<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
    <D:response><D:href>/b/1.vcf</D:href><D:propstat><D:prop><D:getetag>"e"</D:getetag>
    <C:address-data>BEGIN:VCARD&#13;
VERSION:3.0&#13;
FN:A&#13;
END:VCARD</C:address-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
    <D:response><D:href>/b/2.vcf</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>
    </D:multistatus>"""
    data = resource_data(parse_multistatus(body), "carddav")
    assert list(data) == ["/b/1.vcf"]
    assert data["/b/1.vcf"][1].startswith("BEGIN:VCARD")


def test_an_invalid_sync_token_error_is_recognised() -> None:
    body = b'<D:error xmlns:D="DAV:"><D:valid-sync-token/></D:error>'
    assert is_invalid_sync_token(body)
    assert not is_invalid_sync_token(b"<html>forbidden</html>")
    assert not is_invalid_sync_token(b"not xml")


def test_a_doctype_or_broken_xml_is_refused() -> None:
    with pytest.raises(DavXmlError):
        parse_multistatus(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(DavXmlError):
        parse_multistatus(b"<multistatus")


def test_request_bodies_are_well_formed_xml_with_the_hrefs_escaped() -> None:
    bodies = [
        requests.propfind(),
        requests.sync_collection(None),
        requests.sync_collection("tok&1"),
        requests.addressbook_multiget(["/a&b.vcf"]),
        requests.calendar_multiget(["/c.ics"]),
        requests.calendar_query(
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
        ),
    ]
    for body in bodies:
        ET.fromstring(body)
    assert b"/a&amp;b.vcf" in bodies[3]
    assert b'start="20260101T000000Z"' in bodies[5]


def test_hrefs_resolve_against_the_collection_and_compare_by_path() -> None:
    assert resolve("https://h/u/book/", "/u/book/a.vcf") == "https://h/u/book/a.vcf"
    assert same_path("https://h/u/bo%6Fk/", "/u/book")
    assert batches(list("abcde"), 2) == [["a", "b"], ["c", "d"], ["e"]]


def test_a_card_gone_from_the_server_archives_only_what_this_source_alone_created() -> None:
    from pipeline.identity.gone import archives_for_gone
    from pipeline.identity.merge import ExistingContact

    src = "source:3"
    mine = ExistingContact(id=1, source_uids=frozenset({f"{src}:u1"}), source=src)
    edited = ExistingContact(
        id=2, source_uids=frozenset({f"{src}:u2"}), source=src, edited_fields=frozenset({"note"})
    )
    shared = ExistingContact(
        id=3, source_uids=frozenset({f"{src}:u3", "file:vcard:a.vcf:u3"}), source=src
    )
    other = ExistingContact(id=4, source_uids=frozenset({"source:9:u1"}), source="source:9")
    touched = ExistingContact(id=5, source_uids=frozenset({f"{src}:u5"}), source=src)
    existing = [mine, edited, shared, other, touched]
    gone = ["u1", "u2", "u3", "u5"]
    assert archives_for_gone(existing, source=src, gone_uids=gone, touched={5}) == [1]
    assert archives_for_gone(existing, source=src, gone_uids=[]) == []
