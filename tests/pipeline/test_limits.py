"""The length limits both engines share (pipeline.limits) and the photo forecast of an import."""

from __future__ import annotations

from pipeline.identity.match import probably_new
from pipeline.limits import KEY_MAX, bounded_key, clip_records
from pipeline.models import ContactRecord


def test_a_short_key_is_left_as_it_is():
    assert bounded_key("file:vcard:a.vcf:", "uid-1") == "file:vcard:a.vcf:uid-1"


def test_a_long_key_fits_keeps_its_namespace_and_does_not_collide_on_a_shared_start():
    one = bounded_key("ns:", "x" * 1000 + "1")
    two = bounded_key("ns:", "x" * 1000 + "2")
    assert len(one) <= KEY_MAX and len(two) <= KEY_MAX
    assert one.startswith("ns:xxx") and one != two
    assert one == bounded_key("ns:", "x" * 1000 + "1"), "the same input, the same key"


def test_clipping_cuts_long_fields_drops_undeliverable_emails_and_names_each_line():
    records = [
        ContactRecord(full_name="Ann", line=1),
        ContactRecord(full_name="B" * 301, organization="O" * 360, line=7),
        ContactRecord(full_name="Cy", emails=["a" * 250 + "@x.org", "cy@x.org"], line=12),
    ]
    clipped, issues = clip_records(records)
    assert clipped[0] is records[0]
    assert len(clipped[1].full_name or "") == 300 and len(clipped[1].organization or "") == 300
    assert clipped[2].emails == ["cy@x.org"]
    assert [(i.line, i.message) for i in issues] == [
        (7, "full_name is longer than 300 characters: cut to 300"),
        (7, "organization is longer than 300 characters: cut to 300"),
        (12, "an email address is longer than 254 characters: dropped"),
    ]


def test_only_records_no_known_key_claims_are_forecast_as_new():
    records = [
        ContactRecord(full_name="Ann", emails=["ann@x.org"]),
        ContactRecord(full_name="Bo", emails=["bo@x.org"]),
        ContactRecord(full_name="Cy", source_uid="uid-cy"),
    ]
    known = {"ann@x.org", "file:vcard:a.vcf:uid-cy"}
    assert probably_new(records, range(3), known, source="file:vcard:a.vcf") == [1]
    assert probably_new(records, [0, 2], set(), source="file:vcard:a.vcf") == [0, 2]
