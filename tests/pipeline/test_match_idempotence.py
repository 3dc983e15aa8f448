"""Hypothesis: importing the same file again right after applying it changes nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.identity.match import ExistingContact, apply_plan, plan_import
from pipeline.identity.merge import merge_contacts
from pipeline.models import ContactRecord

SOURCES = ("google-csv:me", "vcard:iphone", "linkedin-csv:me")
# Small pools so that records collide on uids, addresses, numbers and names all the time.
UIDS = ("u1", "u2", "u3")
EMAILS = ("ann@example.org", "bo@example.org", "cy@example.org", "dee@example.org")
PHONES = ("+4930123456", "+4930123457", "+14155550101", "555-0101")
NAMES = ("Ann Lee", "Bo Chen", "Lee, Ann", "Cy")
TEXT = st.none() | st.sampled_from(("a", "b", " c "))


def records() -> st.SearchStrategy[ContactRecord]:
    return st.builds(
        ContactRecord,
        source_uid=st.none() | st.sampled_from(UIDS),
        full_name=st.none() | st.sampled_from(NAMES),
        given_name=TEXT,
        emails=st.lists(st.sampled_from((*EMAILS, "ANN@example.org")), max_size=2),
        phones=st.lists(st.sampled_from(PHONES), max_size=2),
        organization=TEXT,
        title=TEXT,
        note=TEXT,
        birthday=st.none() | st.sampled_from(("1980-01-02", "--05-17")),
        groups=st.lists(st.sampled_from(("Friends", "Work")), max_size=2),
        urls=st.lists(st.sampled_from(("https://a.example", "https://b.example")), max_size=1),
        line=st.integers(1, 99),
    )


@dataclass(frozen=True)
class Import:
    source: str
    full: bool
    records: list[ContactRecord]


imports = st.builds(
    Import,
    source=st.sampled_from(SOURCES),
    full=st.booleans(),
    records=st.lists(records(), max_size=6),
)
# What the user does in Kith between imports: edit a field, archive, or merge two contacts.
edits = st.lists(
    st.tuples(
        st.sampled_from(("edit", "archive", "merge")),
        st.integers(0, 20),
        st.integers(0, 20),
        st.sampled_from(("title", "note", "emails", "full_name", "phones")),
    ),
    max_size=3,
)


def user_edits(
    state: list[ExistingContact], actions: list[tuple[str, int, int, str]]
) -> list[ExistingContact]:
    for action, i, j, name in actions:
        if not state:
            break
        a, b = state[i % len(state)], state[j % len(state)]
        if action == "edit":
            value: object = [] if name in ("emails", "phones") else "edited by hand"
            edited = replace(
                a,
                fields={**a.fields, name: value},
                edited_fields=a.edited_fields | {name},
                emails=frozenset() if name == "emails" else a.emails,
                phones=frozenset() if name == "phones" else a.phones,
            )
            state = [edited if c.id == a.id else c for c in state]
        elif action == "archive":
            archived = replace(a, archived=True, edited_fields=a.edited_fields | {"archived"})
            state = [archived if c.id == a.id else c for c in state]
        elif a.id != b.id:
            result = merge_contacts(a, b)
            emptied = replace(
                b, archived=True, source_uids=frozenset(), emails=frozenset(), phones=frozenset()
            )
            state = [
                result.merged if c.id == a.id else emptied if c.id == b.id else c for c in state
            ]
    return state


def apply(
    state: list[ExistingContact], step: Import
) -> tuple[list[ExistingContact], dict[str, int]]:
    plan = plan_import(step.records, state, source=step.source, full_export=step.full)
    next_id = max((c.id for c in state), default=0) + 1
    return apply_plan(state, plan, next_id=next_id), plan.counts


def assert_keys_unique(state: list[ExistingContact]) -> None:
    keys = Counter(k for c in state for k in c.key_set())
    assert [k for k, n in keys.items() if n > 1] == []


@settings(max_examples=120, deadline=None)
@given(history=st.lists(st.tuples(imports, edits), max_size=3), last=imports)
def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    history: list[tuple[Import, list[tuple[str, int, int, str]]]], last: Import
) -> None:
    state: list[ExistingContact] = []
    for step, actions in history:
        state, _ = apply(state, step)
        state = user_edits(state, actions)
    state, first = apply(state, last)
    assert_keys_unique(state)

    again, second = apply(state, last)

    assert (second["new"], second["updated"], second["archived"]) == (0, 0, 0)
    assert second["skipped"] == first["skipped"]
    assert again == state


@settings(max_examples=60, deadline=None)
@given(step=imports)
def test_one_file_never_creates_two_contacts_that_share_a_key(step: Import) -> None:
    state, counts = apply([], step)
    assert_keys_unique(state)
    assert counts["new"] == len(state)
    assert counts["new"] + counts["skipped"] <= len(step.records)


@settings(max_examples=80, deadline=None)
@given(
    first=imports,
    second=imports.filter(lambda step: step.source != SOURCES[0]),
)
def test_two_sources_imported_in_turn_settle_after_one_round(first: Import, second: Import) -> None:
    # Exports that disagree must not flip a contact back and forth every night.
    first = replace(first, source=SOURCES[0])
    state: list[ExistingContact] = []
    for step in (first, second):
        state, _ = apply(state, step)
    for step in (first, second):
        state, counts = apply(state, step)
        assert (counts["new"], counts["updated"], counts["archived"]) == (0, 0, 0)
