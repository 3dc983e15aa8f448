"""Which cards a re-import may skip: only a card alone with its keys in the file, unchanged,
onto a contact still as the last import left it."""

from __future__ import annotations

from pipeline.identity.match import card_keys
from pipeline.identity.unchanged import Stored, card_digest, rememberable, select_kept
from pipeline.models import ContactRecord

SOURCE = "file:vcard:contacts.vcf"


def ann(**changes: object) -> ContactRecord:
    values: dict[str, object] = {
        "source_uid": "ann",
        "full_name": "Ann Lee",
        "emails": ["ann@x.org"],
    }
    values.update(changes)
    return ContactRecord(**values)  # type: ignore[arg-type]


def kept_of(records: list[ContactRecord], stored: dict[str, Stored], states: dict[int, str]):
    return select_kept(records, card_keys(records, source=SOURCE), stored, states).records


def remembered(record: ContactRecord, contact: int = 7) -> dict[str, Stored]:
    uid = card_keys([record], source=SOURCE)[0].uid
    return {uid: Stored(card_digest(record), contact, "state-1")}


def test_an_unchanged_card_onto_an_untouched_contact_is_kept():
    assert kept_of([ann()], remembered(ann()), {7: "state-1"}) == {0}


def test_a_card_that_moved_in_the_file_is_still_the_same_card():
    assert kept_of([ann(line=40)], remembered(ann(line=3)), {7: "state-1"}) == {0}


def test_a_changed_card_or_a_touched_contact_is_planned():
    assert kept_of([ann(title="CTO")], remembered(ann()), {7: "state-1"}) == set()
    assert kept_of([ann()], remembered(ann()), {7: "state-2"}) == set()
    assert kept_of([ann()], remembered(ann()), {}) == set(), "the contact is gone"


def test_a_card_sharing_a_key_with_another_card_of_the_file_is_planned():
    other = ContactRecord(source_uid="ann-2", full_name="A. Lee", emails=["ann@x.org"])
    assert kept_of([ann(), other], remembered(ann()), {7: "state-1"}) == set()


def test_a_card_with_a_connection_date_is_always_planned():
    record = ann(connected_on="2024-01-02")
    assert kept_of([record], remembered(record), {7: "state-1"}) == set()


def test_only_a_card_alone_on_its_contact_is_remembered():
    assert rememberable([(0, 7), (1, 7), (2, 8)]) == [(2, 8)]
