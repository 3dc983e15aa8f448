"""One import plan as an explicit list of writes, and the in-memory applier of that list.

The api's store executes the same `ImportWrites` against the database; the idempotence
properties run `apply_writes` on plain values. Both consume one list, so what the properties
prove about an import is what production writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pipeline.identity.merge import ExistingContact, FieldValue, Key, KeyKind, Suggestion

if TYPE_CHECKING:
    from pipeline.identity.match import ImportPlan


@dataclass(frozen=True, slots=True)
class New:
    """The contact `ImportWrites.inserts[index]` will become (its id is known only once written)."""

    index: int


Ref = int | New  # an existing contact's id, or a contact this import inserts


@dataclass(frozen=True, slots=True)
class InsertContact:
    fields: dict[str, FieldValue]  # every field: None or [] when absent
    records: tuple[int, ...]  # the records it is made of (for photos)


@dataclass(frozen=True, slots=True)
class UpdateContact:
    contact_id: int
    changes: dict[str, FieldValue]  # changed fields only; a list field carries its full value
    unarchive: bool


@dataclass(frozen=True, slots=True)
class ImportWrites:
    """Everything one import writes, in the order it is written."""

    source: str
    inserts: tuple[InsertContact, ...] = ()
    updates: tuple[UpdateContact, ...] = ()
    keys: tuple[tuple[Ref, Key], ...] = ()  # a key already held is left alone
    archives: tuple[int, ...] = ()
    landed: tuple[tuple[int, Ref], ...] = ()  # record index -> the contact it landed on
    suggestions: tuple[Suggestion, ...] = ()  # a pair already suggested is left alone


def writes_of(plan: ImportPlan) -> ImportWrites:
    new = [New(i) for i in range(len(plan.creates))]  # one per insert, shared by its keys
    keys: list[tuple[Ref, Key]] = [
        (ref, k) for ref, create in zip(new, plan.creates, strict=True) for k in create.keys
    ]
    keys += [(u.contact_id, k) for u in plan.updates for k in u.add_keys]
    landed: list[tuple[int, Ref]] = []
    for m in plan.matches:
        if m.contact_id is not None:
            landed.append((m.record, m.contact_id))
        elif m.create is not None:
            landed.append((m.record, new[m.create]))
    return ImportWrites(
        source=plan.source,
        # The plan's dicts, not copies (a 50,000-card plan's fields twice over): neither the
        # store nor apply_writes changes them.
        inserts=tuple(InsertContact(c.fields, c.records) for c in plan.creates),
        updates=tuple(
            UpdateContact(u.contact_id, u.changes, u.unarchive)
            for u in plan.updates
            if u.changes or u.unarchive
        ),
        keys=tuple(keys),
        archives=plan.archives,
        landed=tuple(landed),
        suggestions=plan.suggestions,
    )


def apply_writes(
    existing: Sequence[ExistingContact], writes: ImportWrites, *, next_id: int
) -> list[ExistingContact]:
    """The contacts after `writes`, as the store leaves them; inserts get ids from `next_id` on."""
    updates = {u.contact_id: u for u in writes.updates}
    archives = set(writes.archives)
    added: dict[Ref, list[Key]] = {}
    for ref, key in writes.keys:
        added.setdefault(ref, []).append(key)
    out: list[ExistingContact] = []
    for contact in existing:
        update = updates.get(contact.id)
        if update is not None:
            contact = replace(
                contact,
                fields={**contact.fields, **update.changes},
                archived=False if update.unarchive else contact.archived,
            )
        contact = _with_keys(contact, added.get(contact.id, ()))
        if contact.id in archives:
            contact = replace(contact, archived=True)
        out.append(contact)
    for i, insert in enumerate(writes.inserts):
        new = ExistingContact(id=next_id + i, fields=dict(insert.fields), source=writes.source)
        out.append(_with_keys(new, added.get(New(i), ())))
    return out


def apply_plan(
    existing: Sequence[ExistingContact], plan: ImportPlan, *, next_id: int
) -> list[ExistingContact]:
    """The contacts after `plan`: `apply_writes` of `writes_of(plan)`."""
    return apply_writes(existing, writes_of(plan), next_id=next_id)


def _with_keys(contact: ExistingContact, keys: Sequence[Key]) -> ExistingContact:
    if not keys:
        return contact

    def of(kind: KeyKind) -> set[str]:
        return {k.value for k in keys if k.kind == kind}

    return replace(
        contact,
        source_uids=contact.source_uids | of("source-uid"),
        emails=contact.emails | of("email"),
        phones=contact.phones | of("phone"),
    )
