"""How contact values merge: records into a contact, contact into contact; name lookalikes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Literal, NamedTuple

from rapidfuzz import fuzz, process

from pipeline.models import ContactRecord
from pipeline.normalize import collapse_ws, fallback_name, name_key, unique

KeyKind = Literal["source-uid", "email", "phone"]
FieldValue = str | list[str] | None

SCALAR_FIELDS = (
    "full_name",
    "given_name",
    "family_name",
    "nickname",
    "organization",
    "title",
    "birthday",
    "note",
)
LIST_FIELDS = ("emails", "phones", "groups", "urls")
_LIST_KEY_KIND: dict[str, KeyKind] = {"emails": "email", "phones": "phone"}
_KEY_FIELD = {kind: name for name, kind in _LIST_KEY_KIND.items()}
# Who holds each key: kind -> value -> contact id. Plain strings per kind, not Key tuples, so that
# indexing 50,000 contacts allocates nothing per key.
Owners = Mapping[str, Mapping[str, int]]


class Key(NamedTuple):
    """One ContactKey row: (kind, value) is unique per user."""

    kind: KeyKind
    value: str


@dataclass(frozen=True, slots=True)
class ExistingContact:
    """A contact as the api loaded it; `source_uids` are already namespaced `f"{source}:{uid}"`.

    `fields` holds the current values under SCALAR_FIELDS (str or None) and LIST_FIELDS (lists).
    """

    id: int
    source_uids: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()  # casefolded
    phones: frozenset[str] = frozenset()  # E.164
    fields: Mapping[str, object] = field(default_factory=dict)
    edited_fields: frozenset[str] = frozenset()  # "archived" too, when the user (un)archived it
    archived: bool = False
    source: str | None = None  # the import source that created it; None when made in Kith

    def values_of(self, kind: KeyKind) -> frozenset[str]:
        if kind == "email":
            return self.emails
        return self.phones if kind == "phone" else self.source_uids

    def key_set(self) -> set[Key]:
        return (
            {Key("source-uid", v) for v in self.source_uids}
            | {Key("email", v) for v in self.emails}
            | {Key("phone", v) for v in self.phones}
        )


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Two contacts that may be one person; only ever merged after the user confirms."""

    a: int  # the smaller id
    b: int
    score: int  # 0-100
    reason: str


@dataclass(frozen=True, slots=True)
class NamedContact:
    id: int
    name: str  # the display name


@dataclass(frozen=True, slots=True)
class MergeResult:
    """What merging `other` into `keep` does, with the snapshots needed to undo it.

    The api writes `changes` to keep, re-points `moved_keys` (and other's interactions) at keep,
    sets keep's edited_fields and archived from `merged`, then archives `removed_id`. Undo restores
    both snapshots and points the moved keys (and the interactions it recorded) back.
    """

    merged: ExistingContact  # keep's id with the merged values and the keys of both
    changes: dict[str, FieldValue]  # keep's fields that change
    moved_keys: tuple[Key, ...]
    removed_id: int
    keep_before: ExistingContact
    other_before: ExistingContact


def scalar(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    return value if isinstance(value, str) and value else None


def str_list(fields: Mapping[str, object], name: str) -> list[str]:
    value = fields.get(name)
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


_scalars = attrgetter(*SCALAR_FIELDS)


def record_emails(rec: ContactRecord) -> list[str]:
    return unique([e.strip().casefold() for e in rec.emails if e and e.strip()])


def record_phones(rec: ContactRecord) -> list[str]:
    return unique([p.strip() for p in rec.phones if p and p.strip()])


def combine(records: Sequence[ContactRecord]) -> dict[str, FieldValue]:
    """One set of values from several records (file order): first non-empty scalar, lists union."""
    if len(records) == 1:  # nearly every contact of an import: no union to make
        return record_values(records[0])
    out: dict[str, FieldValue] = {}
    for name in SCALAR_FIELDS:
        value = None
        for r in records:
            if value := _clean(getattr(r, name)):
                break
        out[name] = value
    out["emails"] = unique([e for r in records for e in record_emails(r)])
    out["phones"] = unique([p for r in records for p in record_phones(r)])
    out["groups"] = _stripped([g for r in records for g in r.groups])
    out["urls"] = _stripped([u for r in records for u in r.urls])
    return out


def record_values(
    r: ContactRecord, emails: list[str] | None = None, phones: list[str] | None = None
) -> dict[str, FieldValue]:
    """`combine([r])`, without the per-field loops over one record; `emails` and `phones`, when
    given, are `record_emails(r)` and `record_phones(r)` the caller already has (new lists)."""
    out: dict[str, FieldValue] = {
        name: (value.strip() or None) if isinstance(value, str) else None  # _clean, inlined
        for name, value in zip(SCALAR_FIELDS, _scalars(r), strict=True)
    }
    out["emails"] = record_emails(r) if emails is None else emails
    out["phones"] = record_phones(r) if phones is None else phones
    out["groups"] = _stripped(r.groups)
    out["urls"] = _stripped(r.urls)
    return out


def _stripped(values: list[str]) -> list[str]:
    if not values:
        return []
    return unique([v.strip() for v in values if v and v.strip()])


def _clean(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def display_name(values: Mapping[str, object], *, full: bool) -> str | None:
    """A new contact always gets a name (org, email, phone); an update only takes a real name."""
    full_name = scalar(values, "full_name")
    if full_name and (text := collapse_ws(full_name)):  # fallback_name's first choice
        return text
    given_name = scalar(values, "given_name")
    family_name = scalar(values, "family_name")
    if not full:
        return fallback_name(full_name=full_name, given_name=given_name, family_name=family_name)
    return fallback_name(
        full_name=full_name,
        given_name=given_name,
        family_name=family_name,
        nickname=scalar(values, "nickname"),
        organization=scalar(values, "organization"),
        emails=str_list(values, "emails"),
        phones=str_list(values, "phones"),
    )


def record_changes(
    contact: ExistingContact, values: Mapping[str, object], owners: Owners, source: str
) -> dict[str, FieldValue]:
    """Changed fields only. Edited fields are never touched, nothing is erased, lists only grow.

    A scalar that already has a value is overwritten only by the source that created the contact;
    other sources fill blanks. Otherwise two exports that disagree would flip it every night.
    An address or number that is another contact's key is left there (a merge suggestion covers it).
    """
    changes: dict[str, FieldValue] = {}
    fields, edited = contact.fields, contact.edited_fields
    owns_scalars = contact.source == source
    for name in SCALAR_FIELDS:
        new = values.get(name)
        current = fields.get(name)
        # Checked in order of cost: this loop runs for every matched record of a 50k import.
        if not isinstance(new, str) or not new or new == current or name in edited:
            continue
        if owns_scalars or not (isinstance(current, str) and current):
            changes[name] = new
    for name in LIST_FIELDS:
        incoming = values.get(name)
        if not incoming or not isinstance(incoming, list):
            continue
        old = str_list(fields, name)
        add = [v for v in incoming if isinstance(v, str) and v not in old]
        if not add or name in edited:
            continue
        if kind := _LIST_KEY_KIND.get(name):
            held = owners[kind]
            add = [v for v in add if held.get(v, contact.id) == contact.id]
        if add:
            changes[name] = old + add
    return changes


def new_keys(
    contact: ExistingContact, claimed: Mapping[KeyKind, Sequence[str]], owners: Owners
) -> tuple[Key, ...]:
    """Keys to add to `contact`: not yet its own, nobody else's, not in a list the user edited."""
    out: list[Key] = []
    for kind, values in claimed.items():
        # A user who edited the list decided which addresses belong here; keys follow the field.
        if _KEY_FIELD.get(kind, "") in contact.edited_fields:
            continue
        have, held = contact.values_of(kind), owners[kind]
        out += [
            Key(kind, v)
            for v in dict.fromkeys(values)
            if v not in have and held.get(v, contact.id) == contact.id
        ]
    return tuple(out)


def merge_contacts(keep: ExistingContact, other: ExistingContact) -> MergeResult:
    """Merge `other` into `keep`: keep's values win, blanks are filled, lists and keys unioned."""
    if keep.id == other.id:
        raise ValueError("cannot merge a contact with itself")
    changes: dict[str, FieldValue] = {}
    for name in SCALAR_FIELDS:
        value = scalar(other.fields, name)
        if scalar(keep.fields, name) is None and value is not None:
            changes[name] = value
    for name in LIST_FIELDS:
        mine = str_list(keep.fields, name)
        have = set(mine)
        add = unique([v for v in str_list(other.fields, name) if v not in have])
        if add:
            changes[name] = mine + add
    merged = ExistingContact(
        id=keep.id,
        source_uids=keep.source_uids | other.source_uids,
        emails=keep.emails | other.emails,
        phones=keep.phones | other.phones,
        fields={**keep.fields, **changes},
        edited_fields=keep.edited_fields | other.edited_fields,
        # Either one still being current keeps the person current.
        archived=keep.archived and other.archived,
        source=keep.source if keep.source is not None else other.source,
    )
    return MergeResult(
        merged=merged,
        changes=changes,
        moved_keys=tuple(sorted(other.key_set() - keep.key_set())),
        removed_id=other.id,
        keep_before=keep,
        other_before=other,
    )


def merge_suggestions(
    contacts: Sequence[NamedContact],
    *,
    threshold: int = 90,
    dismissed: Collection[tuple[int, int]] = (),
) -> list[Suggestion]:
    """Pairs with similar names (token_sort_ratio of name_key >= threshold), best first.

    Only suggestions: people who share a key were already matched on import. To stay fast for
    thousands of contacts, names are compared only inside blocks: one block per first letter of
    each of their words, so "Muller, Jurgen" and "Jürgen Müller" meet in both j and m.
    """
    skip = {(min(a, b), max(a, b)) for a, b in dismissed}
    names: dict[int, str] = {}
    by_key: dict[str, list[int]] = defaultdict(list)
    for contact in contacts:
        key = name_key(contact.name)
        if key and contact.id not in names:
            names[contact.id] = contact.name
            by_key[key].append(contact.id)
    # Each distinct key is scored once, however many contacts carry it.
    scores = {(key, key): 100.0 for key, ids in by_key.items() if len(ids) > 1}
    blocks: dict[str, list[str]] = defaultdict(list)
    for key in sorted(by_key):
        for letter in sorted({word[0] for word in key.split()}):
            blocks[letter].append(key)
    for keys in blocks.values():
        for i, key in enumerate(keys[:-1]):
            hits = process.extract(
                key, keys[i + 1 :], scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=None
            )
            scores.update(((key, other), score) for other, score, _ in hits)
    found: dict[tuple[int, int], Suggestion] = {}

    def suggest(a: int, b: int, score: float) -> None:
        pair = (min(a, b), max(a, b))
        if a != b and pair not in skip and pair not in found:
            reason = f"similar names: {names[pair[0]]} / {names[pair[1]]}"
            found[pair] = Suggestion(pair[0], pair[1], round(score), reason)

    # Linear, not quadratic, in the size of a group of lookalikes: each member of a name group is
    # paired with the group's first contact (merging each into it joins them all), and two
    # similar groups are joined through their first contacts. 500 "John Smith"s give 499
    # suggestions, not 124,750.
    for (key, other), score in scores.items():
        if key == other:
            first, *rest = sorted(by_key[key])
            for b in rest:
                suggest(first, b, score)
        else:
            suggest(min(by_key[key]), min(by_key[other]), score)
    return sorted(found.values(), key=lambda s: (-s.score, s.a, s.b))
