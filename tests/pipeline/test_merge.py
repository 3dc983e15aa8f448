"""Merging two contacts the user confirmed, and name-similarity merge suggestions."""

from __future__ import annotations

import random
from typing import Any

import pytest
from rapidfuzz import process

from pipeline.identity.match import ExistingContact, Key
from pipeline.identity.merge import NamedContact, Suggestion, merge_contacts, merge_suggestions


def jurgen() -> ExistingContact:
    return ExistingContact(
        id=3,
        source="google-csv:me",
        source_uids=frozenset({"google-csv:me:~email:jm@example.de"}),
        emails=frozenset({"jm@example.de"}),
        fields={
            "full_name": "Jürgen Müller",
            "title": "Architekt",
            "note": None,
            "emails": ["jm@example.de"],
            "phones": ["+4930123456", "030 555"],
            "groups": ["Work"],
            "urls": [],
        },
        edited_fields=frozenset({"title"}),
    )


def muller() -> ExistingContact:
    return ExistingContact(
        id=8,
        source="vcard:iphone",
        source_uids=frozenset({"vcard:iphone:ABC"}),
        emails=frozenset({"juergen@example.com"}),
        phones=frozenset({"+4917012345"}),
        fields={
            "full_name": "Muller, Jurgen",
            "title": "Architect",
            "note": "Met in Bonn",
            "emails": ["juergen@example.com", "jm@example.de"],
            "phones": ["+4917012345", "030 555"],
            "groups": ["Friends", "Work"],
            "urls": ["https://jm.example"],
        },
        edited_fields=frozenset({"note"}),
        archived=True,
    )


def test_merge_contacts_unions_lists_keys_and_edited_fields_and_keeps_keeps_values() -> None:
    result = merge_contacts(jurgen(), muller())
    merged = result.merged

    assert merged.id == 3
    assert merged.fields["full_name"] == "Jürgen Müller"
    assert merged.fields["title"] == "Architekt"
    assert merged.fields["note"] == "Met in Bonn"  # a blank is filled from the other
    assert merged.fields["emails"] == ["jm@example.de", "juergen@example.com"]
    assert merged.fields["phones"] == ["+4930123456", "030 555", "+4917012345"]
    assert merged.fields["groups"] == ["Work", "Friends"]
    assert merged.fields["urls"] == ["https://jm.example"]
    assert merged.edited_fields == {"title", "note"}
    assert merged.emails == {"jm@example.de", "juergen@example.com"}
    assert merged.source_uids == {"google-csv:me:~email:jm@example.de", "vcard:iphone:ABC"}
    assert merged.source == "google-csv:me"
    assert not merged.archived


def test_merge_result_holds_what_the_api_needs_to_apply_and_undo_it() -> None:
    keep, other = jurgen(), muller()
    result = merge_contacts(keep, other)
    assert result.changes == {
        "note": "Met in Bonn",
        "emails": ["jm@example.de", "juergen@example.com"],
        "phones": ["+4930123456", "030 555", "+4917012345"],
        "groups": ["Work", "Friends"],
        "urls": ["https://jm.example"],
    }
    assert result.moved_keys == (
        Key("email", "juergen@example.com"),
        Key("phone", "+4917012345"),
        Key("source-uid", "vcard:iphone:ABC"),
    )
    assert result.removed_id == 8
    assert (result.keep_before, result.other_before) == (keep, other)


def test_merging_a_contact_with_itself_is_refused() -> None:
    with pytest.raises(ValueError):
        merge_contacts(jurgen(), jurgen())


# --- suggestions -------------------------------------------------------------------------------


def test_a_reordered_name_without_accents_is_suggested() -> None:
    people = [NamedContact(3, "Jürgen Müller"), NamedContact(8, "Muller, Jurgen")]
    assert merge_suggestions(people) == [
        Suggestion(3, 8, 100, "similar names: Jürgen Müller / Muller, Jurgen")
    ]


def test_unrelated_or_merely_close_names_are_not_suggested() -> None:
    people = [
        NamedContact(1, "Jürgen Müller"),
        NamedContact(2, "Jürgen Schmidt"),
        NamedContact(3, "Anna Müller"),
        NamedContact(4, "Ann Smith"),
        NamedContact(5, "Anne Smyth"),  # 84 in tech.md s5: a human decides, not a suggestion at 90
        NamedContact(6, "Bob"),
        NamedContact(7, "Robert Smith"),
        NamedContact(8, ""),
    ]
    assert merge_suggestions(people) == []
    assert [(s.a, s.b) for s in merge_suggestions(people, threshold=80)] == [(4, 5)]


def test_dismissed_pairs_are_not_suggested_again_in_either_order() -> None:
    people = [NamedContact(3, "Jürgen Müller"), NamedContact(8, "Muller, Jurgen")]
    assert merge_suggestions(people, dismissed=[(8, 3)]) == []


def test_suggestions_are_best_first_then_by_id_whatever_the_input_order() -> None:
    people = [
        NamedContact(9, "Li Wang"),
        NamedContact(2, "Wang Li"),
        NamedContact(5, "Jonathan Smithers"),
        NamedContact(1, "Jonathon Smithers"),
        NamedContact(7, "Li Wang"),
    ]
    expected = merge_suggestions(people)
    # 2, 7 and 9 share one name: each joins the first (2), so merging both joins all three.
    assert [(s.a, s.b) for s in expected] == [(2, 7), (2, 9), (1, 5)]
    for seed in range(5):
        shuffled = people[:]
        random.Random(seed).shuffle(shuffled)
        assert merge_suggestions(shuffled) == expected


def test_a_typo_in_the_first_letter_of_one_word_is_still_found() -> None:
    # Blocks are per word initial, so "Kristina"/"Christina" still meet in the "s" block.
    people = [NamedContact(1, "Christina Sandoval"), NamedContact(2, "Kristina Sandoval")]
    assert [(s.a, s.b) for s in merge_suggestions(people, threshold=85)] == [(1, 2)]


def test_suggestions_for_five_thousand_contacts_compare_far_fewer_names_than_all_pairs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nearly all names distinct: the expensive case, since equal names are scored only once.
    # Work, not time, is bounded (the suite must pass on any machine): every name comparison
    # goes through rapidfuzz's process.extract, so the choices it is given are the comparisons.
    rng = random.Random(3)
    syllables = ("ka", "lo", "mi", "ne", "ra", "su", "to", "vi", "an", "el", "or", "ut")
    syllables += ("ben", "dor", "fal", "gim", "hes", "jor", "kul", "lam")

    def word() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).title()

    people = [NamedContact(i, f"{word()} {word()}") for i in range(5000)]
    compared = 0
    extract = process.extract

    def counted(query: str, choices: list[str], **kwargs: Any) -> Any:
        nonlocal compared
        compared += len(choices)
        return extract(query, choices, **kwargs)

    monkeypatch.setattr(process, "extract", counted)
    found = merge_suggestions(people)
    assert found
    all_pairs = 5000 * 4999 // 2
    # Blocks by word initial: ~22% of all pairs with these 14 initials; a full scan is 100%.
    assert compared <= all_pairs // 3, f"{compared} comparisons, {compared / all_pairs:.0%}"


def test_a_large_group_of_lookalikes_gives_one_suggestion_per_member_not_every_pair() -> None:
    people = [NamedContact(i, "John Smith") for i in range(1, 501)]
    people += [NamedContact(1000 + i, "Jon Smith") for i in range(50)]
    found = merge_suggestions(people, threshold=85)
    assert len(found) == 499 + 49 + 1
    assert {s.a for s in found} == {1, 1000}
