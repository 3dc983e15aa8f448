"""Match imported records to existing contacts and plan one idempotent import (DESIGN.md 3-4)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.identity.gone import archives_for_full_export
from pipeline.identity.keys import Prepared, card_keys, name_uid, prepare, probably_new
from pipeline.identity.merge import (
    ExistingContact,
    FieldValue,
    Key,
    KeyKind,
    Owners,
    Suggestion,
    combine,
    display_name,
    new_keys,
    record_changes,
    record_values,
)
from pipeline.identity.unchanged import Kept, KeptConflict
from pipeline.identity.writes import apply_plan
from pipeline.models import ContactRecord, ImportIssue

__all__ = [
    "ExistingContact",
    "ImportPlan",
    "Key",
    "PlannedCreate",
    "PlannedUpdate",
    "RecordMatch",
    "Suggestion",
    "apply_plan",
    "card_keys",
    "plan_import",
    "probably_new",
]

RANKS: tuple[KeyKind, ...] = ("source-uid", "email", "phone")  # DESIGN.md section 4 order


@dataclass(frozen=True, slots=True)
class PlannedCreate:
    fields: dict[str, FieldValue]  # every field: None or [] when absent
    keys: tuple[Key, ...]
    records: tuple[int, ...]  # indexes into the records passed to plan_import


@dataclass(frozen=True, slots=True)
class PlannedUpdate:
    contact_id: int
    changes: dict[str, FieldValue]  # changed fields only; a list field carries its full new value
    add_keys: tuple[Key, ...]
    unarchive: bool
    records: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RecordMatch:
    """Where one record went: an existing contact or `creates[create]`; for photos, connected_on."""

    record: int
    line: int
    contact_id: int | None
    create: int | None
    via: str  # "source-uid", "email", "phone", "name" or "new"


@dataclass(frozen=True, slots=True)
class ImportPlan:
    source: str
    creates: tuple[PlannedCreate, ...] = ()
    updates: tuple[PlannedUpdate, ...] = ()
    unchanged: tuple[int, ...] = ()
    archives: tuple[int, ...] = ()
    matches: tuple[RecordMatch, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    issues: tuple[ImportIssue, ...] = ()
    skipped: tuple[int, ...] = ()  # record indexes

    @property
    def unarchives(self) -> tuple[int, ...]:
        return tuple(u.contact_id for u in self.updates if u.unarchive)

    @property
    def keys_to_add(self) -> tuple[tuple[int, Key], ...]:
        return tuple((u.contact_id, k) for u in self.updates for k in u.add_keys)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.creates),
            "updated": len(self.updates),
            "unchanged": len(self.unchanged),
            "archived": len(self.archives),
            "skipped": len(self.skipped),
        }


def plan_import(
    records: Sequence[ContactRecord],
    existing: Sequence[ExistingContact],
    *,
    source: str,
    full_export: bool,
    kept: Kept | None = None,
) -> ImportPlan:
    """Decide what one file does to the user's contacts; the api applies it in one transaction.

    Records that share any key (uid, email, E.164 phone) are one person. A person is matched by
    source uid, then email, then phone (DESIGN.md section 4); a uid-less record with an email or
    phone that matches nothing falls back to its name, only when exactly one person in the file
    claims that contact. When keys point at several contacts, the first in that order wins and the
    others become merge suggestions.

    `kept` (pipeline.identity.unchanged) are records left out as unchanged: their contacts count
    as seen and unchanged; `existing` need only hold every contact that has a key the other
    records claim and this source's contacts. Raises KeptConflict when another record lands on
    a kept contact (the caller plans again without `kept`).
    """
    kept = kept or Kept()
    ns = f"{source}:"
    owners: dict[str, dict[str, int]] = {kind: {} for kind in RANKS}
    by_id: dict[int, ExistingContact] = {}
    for contact in existing:
        cid = by_id.setdefault(contact.id, contact).id
        for kind in RANKS:
            held = owners[kind]
            for value in contact.values_of(kind):
                held.setdefault(value, cid)
    issues: list[ImportIssue] = []
    skipped: list[int] = []
    prepared: list[Prepared] = []
    for i, rec in enumerate(records):
        if i in kept.records:
            continue
        prep = prepare(i, rec, ns)
        if prep is None:
            skipped.append(i)
            issues.append(ImportIssue(rec.line, "no name, organization, email or phone: skipped"))
        else:
            prepared.append(prep)
    groups = _group(prepared)
    for group in groups:
        first_line = records[group[0].record].line
        for prep in group[1:]:
            message = f"same person as line {first_line}: merged into one contact"
            issues.append(ImportIssue(records[prep.record].line, message))

    targets, seen, suggestions = _match(groups, owners, records, ns)
    if any(cid in kept.contacts for cid, _ in targets.values()):
        raise KeptConflict("a changed card lands on a contact an unchanged card stands for")
    seen |= kept.contacts
    by_target: dict[int, list[int]] = defaultdict(list)
    creates: list[PlannedCreate] = []
    where: list[tuple[int | None, int | None, str] | None] = [None] * len(records)
    for gi, group in enumerate(groups):
        if gi in targets:
            cid, via = targets[gi]
            by_target[cid].append(gi)
            for prep in group:
                where[prep.record] = (cid, None, via)
            continue
        indexes = tuple(p.record for p in group)
        if len(group) == 1:  # its emails and phones are normalized already
            one = group[0]
            values = record_values(records[one.record], list(one.emails), list(one.all_phones))
        else:
            values = combine([records[i] for i in indexes])
        values["full_name"] = display_name(values, full=True)
        if len(group) == 1:  # one record's keys are distinct already (one kind each, unique)
            keys = tuple(Key(k, v) for k, vs in group[0].kinds for v in vs)
        else:
            keys = tuple(dict.fromkeys(Key(k, v) for p in group for k, vs in p.kinds for v in vs))
        for i in indexes:
            where[i] = (None, len(creates), "new")
        creates.append(PlannedCreate(fields=values, keys=keys, records=indexes))

    updates: list[PlannedUpdate] = []
    unchanged: list[int] = sorted(kept.contacts)
    for cid in sorted(by_target):
        preps = sorted((p for gi in by_target[cid] for p in groups[gi]), key=lambda p: p.record)
        update = _update(by_id[cid], preps, records, owners, source)
        if update is None:
            unchanged.append(cid)
        else:
            updates.append(update)

    archives: list[int] = []
    if full_export:
        any_records = bool(prepared or kept.records)
        archives = archives_for_full_export(
            existing, seen, source, any_records, issues, kept.also_mine
        )
    matches: list[RecordMatch] = []
    for i, target in enumerate(where):
        if target is not None:
            matches.append(RecordMatch(i, records[i].line, *target))
    return ImportPlan(
        source=source,
        creates=tuple(creates),
        updates=tuple(updates),
        unchanged=tuple(sorted(unchanged)),
        archives=tuple(archives),
        matches=tuple(matches),
        suggestions=tuple(suggestions[pair] for pair in sorted(suggestions)),
        issues=tuple(sorted(issues, key=lambda issue: issue.line)),
        skipped=tuple(skipped),
    )


def _update(
    contact: ExistingContact,
    preps: list[Prepared],
    records: Sequence[ContactRecord],
    owners: Owners,
    source: str,
) -> PlannedUpdate | None:
    """What the records that landed on `contact` change there; None when nothing does."""
    values = combine([records[p.record] for p in preps])
    values["full_name"] = display_name(values, full=False)
    changes = record_changes(contact, values, owners, source)
    claimed: dict[KeyKind, list[str]] = {kind: [] for kind in RANKS}
    for prep in preps:
        for kind, claims in prep.by_kind():
            claimed[kind] += claims
    add_keys = new_keys(contact, claimed, owners)
    unarchive = contact.archived and "archived" not in contact.edited_fields
    if not (changes or add_keys or unarchive):
        return None
    indexes = tuple(p.record for p in preps)
    return PlannedUpdate(contact.id, changes, add_keys, unarchive, indexes)


def _group(prepared: list[Prepared]) -> list[list[Prepared]]:
    """Union-find over shared keys: records of one file that are the same person, in file order."""
    parent = list(range(len(prepared)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, dict[str, int]] = {kind: {} for kind in RANKS}
    for pos, prep in enumerate(prepared):
        for kind, values in prep.by_kind():
            seen = first[kind]
            for value in values:
                other = seen.setdefault(value, pos)
                if other != pos:
                    a, b = find(other), find(pos)
                    # The smaller index stays the root, so groups come out ordered by first record.
                    parent[max(a, b)] = min(a, b)
    members: dict[int, list[Prepared]] = {}
    for pos, prep in enumerate(prepared):
        members.setdefault(find(pos), []).append(prep)
    return list(members.values())


def _match(
    groups: list[list[Prepared]],
    owners: Owners,
    records: Sequence[ContactRecord],
    ns: str,
) -> tuple[dict[int, tuple[int, str]], set[int], dict[tuple[int, int], Suggestion]]:
    """Group index -> (contact id, via); every contact any key touched; suggestions by id pair."""
    targets: dict[int, tuple[int, str]] = {}
    seen: set[int] = set()
    suggestions: dict[tuple[int, int], Suggestion] = {}
    for gi, group in enumerate(groups):
        found = [
            (cid, kind, records[prep.record].line)
            for rank, kind in enumerate(RANKS)
            for prep in group
            for value in prep.by_kind()[rank][1]
            if (cid := owners[kind].get(value)) is not None
        ]
        if not found:
            continue
        target, via, _ = found[0]
        targets[gi] = (target, via)
        for cid, kind, line in found:
            seen.add(cid)
            pair = (min(target, cid), max(target, cid))
            if cid != target and pair not in suggestions:
                reason = f"line {line}: {via} matches #{target}, {kind} matches #{cid}"
                suggestions[pair] = Suggestion(pair[0], pair[1], 100, reason)

    # Name fallback: only unambiguous, only inside this source's namespace, and never for a name
    # that a keyless record of this file owns (that record would otherwise lose its contact).
    keyless = {p.uids[0] for group in groups for p in group if p.keyless_name}
    taken = {cid for cid, _ in targets.values()}
    wanted: dict[int, list[int]] = defaultdict(list)
    for gi, group in enumerate(groups):
        if gi in targets:
            continue
        for prep in group:
            by_name = name_uid(ns, records[prep.record]) if prep.name_fallback else None
            if by_name is None or by_name in keyless:
                continue
            cid = owners["source-uid"].get(by_name)
            if cid is not None and cid not in taken:
                wanted[cid].append(gi)
                break
    for cid, gis in wanted.items():
        if len(gis) == 1:
            targets[gis[0]] = (cid, "name")
            seen.add(cid)
    return targets, seen, suggestions
