"""Matching imported records to existing contacts: order, in-file merging, updates, archiving."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pipeline.identity.match import (
    ExistingContact,
    ImportPlan,
    Key,
    Suggestion,
    apply_plan,
    plan_import,
)
from pipeline.models import ContactRecord

GOOGLE = "google-csv:personal"
PHONE = "vcard:iphone"


def rec(line: int = 1, **kw: object) -> ContactRecord:
    return ContactRecord(line=line, **kw)  # type: ignore[arg-type]


def contact(cid: int, source: str | None = GOOGLE, **kw: object) -> ExistingContact:
    return ExistingContact(id=cid, source=source, **kw)  # type: ignore[arg-type]


def run(
    records: Sequence[ContactRecord],
    state: list[ExistingContact],
    *,
    source: str = GOOGLE,
    full: bool = False,
) -> tuple[ImportPlan, list[ExistingContact]]:
    plan = plan_import(records, state, source=source, full_export=full)
    next_id = max((c.id for c in state), default=0) + 1
    return plan, apply_plan(state, plan, next_id=next_id)


def by_id(state: list[ExistingContact], cid: int) -> ExistingContact:
    return next(c for c in state if c.id == cid)


# --- matching order --------------------------------------------------------------------------


def test_source_uid_beats_email_and_email_beats_phone() -> None:
    existing = [
        contact(1, source_uids=frozenset({f"{GOOGLE}:u1"})),
        contact(2, emails=frozenset({"ann@example.org"})),
        contact(3, phones=frozenset({"+4930123456"})),
    ]
    every_key = rec(source_uid="u1", emails=["ann@example.org"], phones=["+4930123456"])
    email_and_phone = rec(emails=["ann@example.org"], phones=["+4930123456"])
    phone_only = rec(phones=["+4930123456"], full_name="Ann")

    for record, expected, via in (
        (every_key, 1, "source-uid"),
        (email_and_phone, 2, "email"),
        (phone_only, 3, "phone"),
    ):
        plan = plan_import([record], existing, source=GOOGLE, full_export=False)
        assert (plan.matches[0].contact_id, plan.matches[0].via) == (expected, via)
        assert plan.counts["new"] == 0


def test_a_record_matching_two_contacts_goes_to_the_first_in_order_and_suggests_a_merge() -> None:
    existing = [
        contact(5, emails=frozenset({"ann@example.org"})),
        contact(9, source_uids=frozenset({f"{GOOGLE}:u1"})),
        contact(7, phones=frozenset({"+4930123456"})),
    ]
    record = rec(line=4, source_uid="u1", emails=["ann@example.org"], phones=["+4930123456"])
    plan = plan_import([record], existing, source=GOOGLE, full_export=False)

    assert plan.matches[0].contact_id == 9
    assert [(s.a, s.b) for s in plan.suggestions] == [(5, 9), (7, 9)]
    assert all(isinstance(s, Suggestion) and "line 4" in s.reason for s in plan.suggestions)
    # The other contacts keep their keys: nothing moves without the user's confirmation.
    assert plan.keys_to_add == ()
    assert plan.updates == ()


def test_source_uids_are_namespaced_so_another_sources_uid_never_matches() -> None:
    existing = [contact(1, source=PHONE, source_uids=frozenset({f"{PHONE}:u1"}))]
    plan = plan_import(
        [rec(source_uid="u1", full_name="Ann")], existing, source=GOOGLE, full_export=False
    )
    assert plan.counts["new"] == 1
    assert Key("source-uid", f"{GOOGLE}:u1") in plan.creates[0].keys


def test_a_number_that_is_not_e164_is_kept_but_never_used_to_match() -> None:
    existing = [contact(1, source=PHONE, fields={"phones": ["555-0101"]})]
    plan = plan_import(
        [rec(full_name="Bo", phones=["555-0101"])], existing, source=GOOGLE, full_export=False
    )
    assert plan.counts["new"] == 1
    assert plan.creates[0].fields["phones"] == ["555-0101"]
    assert all(k.kind != "phone" for k in plan.creates[0].keys)


# --- one file, one person ----------------------------------------------------------------------


def test_records_sharing_an_email_in_one_file_become_one_create() -> None:
    records = [
        rec(line=2, full_name="Ann Lee", emails=["Ann@Example.org"], groups=["Friends"]),
        rec(line=9, full_name="Ann Lee", emails=["ann@example.org"], phones=["+4930123456"]),
    ]
    plan = plan_import(records, [], source=GOOGLE, full_export=False)

    assert plan.counts["new"] == 1
    create = plan.creates[0]
    assert create.records == (0, 1)
    assert create.fields["emails"] == ["ann@example.org"]
    assert create.fields["phones"] == ["+4930123456"]
    assert create.fields["groups"] == ["Friends"]
    assert [(i.line, i.message) for i in plan.issues] == [
        (9, "same person as line 2: merged into one contact")
    ]


def test_a_chain_of_shared_keys_joins_three_records_into_one_person() -> None:
    records = [
        rec(line=1, full_name="A", emails=["a@example.org"]),
        rec(line=2, full_name="A2", emails=["a@example.org"], phones=["+4930123456"]),
        rec(line=3, full_name="A3", phones=["+4930123456"], source_uid="x"),
        rec(line=4, full_name="Someone else", emails=["b@example.org"]),
    ]
    plan = plan_import(records, [], source=GOOGLE, full_export=False)
    assert [c.records for c in plan.creates] == [(0, 1, 2), (3,)]
    assert plan.creates[0].fields["full_name"] == "A"


def test_nameless_records_are_named_from_org_email_or_phone_and_empty_ones_skipped() -> None:
    records = [
        rec(line=1, organization="Example Plumbing, LLC", phones=["(555) 010-0199"]),
        rec(line=2, emails=["noreply-contact@example.net"]),
        rec(line=3, phones=["+4930123456"]),
        rec(line=4, note="a card with nothing that says who it is"),
    ]
    plan = plan_import(records, [], source=GOOGLE, full_export=False)

    assert [c.fields["full_name"] for c in plan.creates] == [
        "Example Plumbing, LLC",
        "noreply-contact@example.net",
        "+4930123456",
    ]
    assert plan.skipped == (3,)
    assert plan.counts["skipped"] == 1
    assert plan.issues[-1].line == 4


def test_every_record_is_mapped_to_its_contact_or_its_create() -> None:
    existing = [contact(4, emails=frozenset({"b@example.org"}))]
    records = [
        rec(line=1, full_name="A", emails=["a@example.org"], connected_on="2020-10-05"),
        rec(line=2, full_name="B", emails=["b@example.org"]),
        rec(line=3),
    ]
    plan = plan_import(records, existing, source=GOOGLE, full_export=False)
    assert [(m.record, m.line, m.contact_id, m.create, m.via) for m in plan.matches] == [
        (0, 1, None, 0, "new"),
        (1, 2, 4, None, "email"),
    ]


# --- updates -----------------------------------------------------------------------------------


def ann(**fields: object) -> ExistingContact:
    base: dict[str, object] = {
        "full_name": "Ann Lee",
        "title": "Engineer",
        "note": "met at PyCon",
        "emails": ["ann@example.org"],
        "phones": [],
        "groups": ["Friends"],
        "urls": [],
    }
    base.update(fields)
    return contact(
        1,
        source_uids=frozenset({f"{GOOGLE}:u1"}),
        emails=frozenset({"ann@example.org"}),
        fields=base,
    )


def test_a_newer_export_updates_a_field_the_user_did_not_edit() -> None:
    newer = rec(source_uid="u1", full_name="Ann Lee", title="CTO", emails=["ann@example.org"])
    plan = plan_import([newer], [ann()], source=GOOGLE, full_export=False)
    assert plan.counts == {"new": 0, "updated": 1, "unchanged": 0, "archived": 0, "skipped": 0}
    assert plan.updates[0].changes == {"title": "CTO"}


def test_an_edited_field_survives_a_newer_export() -> None:
    edited = replace(ann(title="Chief of everything"), edited_fields=frozenset({"title"}))
    newer = rec(source_uid="u1", full_name="Ann Lee", title="CTO", emails=["ann@example.org"])
    plan = plan_import([newer], [edited], source=GOOGLE, full_export=False)
    assert plan.counts["updated"] == 0
    assert plan.unchanged == (1,)


def test_an_import_never_erases_a_value_and_lists_only_grow() -> None:
    newer = rec(
        source_uid="u1",
        full_name="Ann Lee",
        emails=["ann@work.example"],
        groups=["Work"],
        urls=["https://ann.example"],
    )
    plan = plan_import([newer], [ann()], source=GOOGLE, full_export=False)
    changes = plan.updates[0].changes
    assert changes == {
        "emails": ["ann@example.org", "ann@work.example"],
        "groups": ["Friends", "Work"],
        "urls": ["https://ann.example"],
    }
    assert plan.updates[0].add_keys == (Key("email", "ann@work.example"),)


def test_an_edited_email_list_is_left_alone_keys_included() -> None:
    edited = replace(ann(), edited_fields=frozenset({"emails"}))
    newer = rec(source_uid="u1", full_name="Ann Lee", emails=["ann@work.example"])
    plan = plan_import([newer], [edited], source=GOOGLE, full_export=False)
    assert plan.counts["updated"] == 0


def test_another_source_fills_blanks_but_does_not_overwrite_the_creating_sources_values() -> None:
    iphone = rec(
        source_uid="ABC-1",
        full_name="Annie L.",
        title="CTO",
        organization="Example GmbH",
        emails=["ann@example.org"],
    )
    plan = plan_import([iphone], [ann()], source=PHONE, full_export=False)
    update = plan.updates[0]
    assert update.changes == {"organization": "Example GmbH"}
    assert update.add_keys == (Key("source-uid", f"{PHONE}:ABC-1"),)


def test_an_address_that_is_another_contacts_key_is_not_copied() -> None:
    existing = [ann(), contact(2, emails=frozenset({"shared@example.org"}))]
    newer = rec(source_uid="u1", full_name="Ann Lee", emails=["shared@example.org"])
    plan = plan_import([newer], existing, source=GOOGLE, full_export=False)
    assert plan.updates == ()
    assert [(s.a, s.b) for s in plan.suggestions] == [(1, 2)]


# --- archive and unarchive ---------------------------------------------------------------------


def two_people() -> list[ContactRecord]:
    return [
        rec(line=1, full_name="Ann Lee", emails=["ann@example.org"]),
        rec(line=2, full_name="Bo Chen", emails=["bo@example.org"]),
    ]


def test_a_removed_record_is_archived_only_for_a_full_export_from_the_same_source() -> None:
    _, state = run(two_people(), [])
    bo = next(c for c in state if c.fields["full_name"] == "Bo Chen")
    only_ann = two_people()[:1]

    assert plan_import(only_ann, state, source=GOOGLE, full_export=False).archives == ()
    assert plan_import(only_ann, state, source=PHONE, full_export=True).archives == ()
    plan = plan_import(only_ann, state, source=GOOGLE, full_export=True)
    assert plan.archives == (bo.id,)
    assert plan.counts["archived"] == 1
    assert by_id(apply_plan(state, plan, next_id=99), bo.id).archived


def test_archiving_spares_edited_contacts_and_those_another_source_still_lists() -> None:
    _, state = run([*two_people(), rec(line=3, full_name="Cy", emails=["cy@example.org"])], [])
    # Bo is also on the phone; the user edited Cy's note.
    _, state = run(
        [rec(full_name="Bo", source_uid="B1", emails=["bo@example.org"])], state, source=PHONE
    )
    state = [
        replace(c, edited_fields=frozenset({"note"})) if c.fields["full_name"] == "Cy" else c
        for c in state
    ]
    plan = plan_import(two_people()[:1], state, source=GOOGLE, full_export=True)
    assert plan.archives == ()


def test_a_reappearing_contact_is_unarchived() -> None:
    _, state = run(two_people(), [])
    plan, state = run(two_people()[:1], state, full=True)
    bo_id = plan.archives[0]
    plan, state = run(two_people(), state, full=True)
    assert plan.unarchives == (bo_id,)
    assert plan.counts["updated"] == 1
    assert not by_id(state, bo_id).archived


def test_a_contact_the_user_archived_by_hand_stays_archived_on_reimport() -> None:
    _, state = run(two_people(), [])
    state = [replace(c, archived=True, edited_fields=frozenset({"archived"})) for c in state]
    plan = plan_import(two_people(), state, source=GOOGLE, full_export=True)
    assert plan.unarchives == ()
    assert plan.counts["unchanged"] == 2


def test_a_truncated_full_export_archives_nothing_and_says_why() -> None:
    people = [rec(line=i, full_name=f"P{i}", emails=[f"p{i}@example.org"]) for i in range(30)]
    _, state = run(people, [])
    plan = plan_import(people[:5], state, source=GOOGLE, full_export=True)
    assert plan.archives == ()
    assert plan.issues[0].line == 0
    assert "not archiving 25 of 30" in plan.issues[0].message
    assert plan_import(people[:20], state, source=GOOGLE, full_export=True).counts["archived"] == 10


# --- sources and identities --------------------------------------------------------------------


def google_grace() -> ContactRecord:
    """Grace Hopper's row as the Google Contacts CSV parser reads it (no UID in that format)."""
    return rec(
        line=2,
        full_name="Grace Hopper",
        given_name="Grace",
        family_name="Hopper",
        nickname="Amazing Grace",
        organization="Example Navy Lab",
        title="Rear Admiral",
        birthday="1906-12-09",
        emails=["grace.hopper@example.com", "grace@example.org"],
        phones=["+1 555 0100"],
        groups=["Work"],
    )


def iphone_grace() -> ContactRecord:
    """The same person in an iPhone vCard: a UID, one shared address, a mobile number."""
    return rec(
        line=1,
        source_uid="5A1B0C4E-1D2F-4A3B-9C8D-7E6F5A4B3C2D",
        full_name="Grace Hopper",
        emails=["GRACE@example.org"],
        phones=["+12025550143"],
        urls=["https://example.com/grace"],
    )


def test_a_google_csv_row_and_an_iphone_vcard_of_the_same_person_end_as_one_contact() -> None:
    for order in ((GOOGLE, PHONE), (PHONE, GOOGLE)):
        state: list[ExistingContact] = []
        for source in order:
            record = google_grace() if source == GOOGLE else iphone_grace()
            _, state = run([record], state, source=source, full=True)
        assert len(state) == 1
        grace = state[0]
        assert grace.source == order[0]
        assert grace.emails == {"grace.hopper@example.com", "grace@example.org"}
        assert grace.phones == {"+12025550143"}
        # The Google row has no UID: a synthetic one marks that the Google export lists her.
        assert f"{GOOGLE}:~email:grace.hopper@example.com" in grace.source_uids
        assert f"{PHONE}:5A1B0C4E-1D2F-4A3B-9C8D-7E6F5A4B3C2D" in grace.source_uids
        assert grace.fields["urls"] == ["https://example.com/grace"]
        assert grace.fields["organization"] == "Example Navy Lab"
        # Both files again, in either order: nothing new, nothing updated, nothing archived.
        for source in order:
            record = google_grace() if source == GOOGLE else iphone_grace()
            plan, state = run([record], state, source=source, full=True)
            assert plan.counts == {
                "new": 0,
                "updated": 0,
                "unchanged": 1,
                "archived": 0,
                "skipped": 0,
            }


def test_a_row_with_only_a_name_reimports_to_the_same_contact() -> None:
    rows = [rec(line=5, full_name="Deepa Example"), rec(line=6, full_name="Anita Bose")]
    _, state = run(rows, [])
    plan, _ = run(rows, state, full=True)
    assert plan.counts["new"] == 0
    assert plan.counts["unchanged"] == 2


def test_two_name_only_rows_with_different_profile_urls_stay_two_people() -> None:
    rows = [
        rec(line=1, full_name="Anita Bose", urls=["https://www.linkedin.com/in/anita-1"]),
        rec(line=2, full_name="Anita Bose", urls=["https://www.linkedin.com/in/anita-2"]),
    ]
    plan = plan_import(rows, [], source=GOOGLE, full_export=False)
    assert plan.counts["new"] == 2


def test_a_name_only_contact_that_gains_an_email_stays_the_same_contact() -> None:
    _, state = run([rec(full_name="Deepa Example")], [])
    plan, state = run(
        [rec(full_name="Deepa Example", emails=["deepa@example.in"])], state, full=True
    )
    assert (plan.counts["new"], plan.counts["updated"], plan.counts["archived"]) == (0, 1, 0)
    assert plan.matches[0].via == "name"
    assert state[0].emails == {"deepa@example.in"}


def test_the_name_fallback_is_not_used_when_two_people_could_claim_it() -> None:
    _, state = run([rec(full_name="John Smith")], [])
    records = [
        rec(line=1, full_name="John Smith", emails=["js1@example.org"]),
        rec(line=2, full_name="John Smith", emails=["js2@example.org"]),
    ]
    plan = plan_import(records, state, source=GOOGLE, full_export=False)
    assert plan.counts["new"] == 2
    assert plan.updates == ()


def test_the_name_fallback_never_crosses_sources() -> None:
    _, state = run([rec(full_name="Deepa Example")], [])
    plan = plan_import(
        [rec(full_name="Deepa Example", emails=["deepa@example.in"])],
        state,
        source=PHONE,
        full_export=False,
    )
    assert plan.counts["new"] == 1
