"""Planning one import against the address book, loading only what the plan needs.

Cards the last import of this source saw, onto contacts nobody touched since, are not planned
(pipeline.identity.unchanged): they count as unchanged. When few cards are left, the plan is
given only the contacts their keys reach (indexed lookups) and this source's contacts (which a
full export may archive), never the whole book; a plan that reaches a kept contact after all
is made again without skipping anything, against the whole book.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import anyio

from api.store import import_cards
from api.store.book import Book, contact_states, key_owners, load_book, source_contacts
from api.store.import_cards import NO_RAW
from pipeline.identity.gone import archives_for_full_export
from pipeline.identity.match import ImportPlan, card_keys, plan_import
from pipeline.identity.merge import (
    Key,
    Owners,
    record_emails,
    record_phones,
)
from pipeline.identity.unchanged import (
    CardKeys,
    Kept,
    KeptConflict,
    card_digest,
    keys_landed,
    rememberable,
    select_kept,
)
from pipeline.models import ContactRecord, ImportIssue

# Up to this many planned cards next to kept ones, the plan loads only the contacts their keys
# reach; beyond it one read of the whole book is cheaper than the lookups.
LOOKUP_MAX = 5_000
REMEMBER_CHUNK = 5_000  # cards remembered per round trip


@dataclass(frozen=True, slots=True)
class Planned:
    plan: ImportPlan
    kept: Kept
    cards: list[CardKeys]
    owners: Owners  # who held each key the planned records claim, before the import
    old: import_cards.Remembered

    @property
    def cards_by_index(self) -> dict[int, CardKeys]:
        return {card.index: card for card in self.cards}


def _lookup_values(records: Sequence[ContactRecord], cards: Sequence[CardKeys]) -> set[str]:
    """Every key value the plan may look up for these records (their keys, their raw emails
    and phones, and the name-derived uid a uid-less record may fall back to)."""
    values: set[str] = set()
    for card in cards:
        values.update(v for _, v in card.keys)
        record = records[card.index]
        values.update(record.emails)
        values.update(record_emails(record))
        values.update(record_phones(record))
        if card.fallback:
            values.add(card.fallback)
    return values


async def plan_records(
    user_id: int,
    records: Sequence[ContactRecord],
    *,
    source: str,
    full_export: bool,
    old: import_cards.Remembered | None = None,
    part: bool = False,
) -> Planned:
    """The plan of these records (inside the import's write transaction, under the user's lock).

    `old`: this source's remembered cards, when the caller read them already (a batched import
    reads them once); `part`: always plan against only the contacts these records reach (a
    batch of a large file: never the whole book per batch)."""
    if old is None:
        old = await import_cards.remembered(user_id, source)
    cards = await anyio.to_thread.run_sync(lambda: card_keys(records, source=source))
    kept = Kept()
    # Only the remembered cards of these records: their contacts' states are read, no others.
    stored = {card.uid: got[1] for card in cards if (got := old.get(card.uid)) is not None}
    if stored:
        states = await contact_states(user_id, {known.contact for known in stored.values()})
        kept = await anyio.to_thread.run_sync(lambda: select_kept(records, cards, stored, states))
    left = [card for card in cards if card.index not in kept.records]
    if part:
        try:
            return await _plan_part(user_id, records, cards, left, kept, old, source, full_export)
        except KeptConflict:
            return await _plan_part(
                user_id, records, cards, cards, Kept(), old, source, full_export
            )
    if kept.records and len(left) <= LOOKUP_MAX:
        try:
            return await _plan_part(user_id, records, cards, left, kept, old, source, full_export)
        except KeptConflict:
            pass
    book = await load_book(user_id)
    owners = book.owners()

    def plan_all(skip: Kept) -> ImportPlan:
        existing = book.contacts(slim=skip.contacts)
        return plan_import(records, existing, source=source, full_export=full_export, kept=skip)

    try:
        plan = await anyio.to_thread.run_sync(lambda: plan_all(kept))
    except KeptConflict:
        kept = Kept()
        plan = await anyio.to_thread.run_sync(lambda: plan_all(kept))
    return Planned(plan, kept, cards, owners, old)


async def _plan_part(
    user_id: int,
    records: Sequence[ContactRecord],
    cards: list[CardKeys],
    left: Sequence[CardKeys],
    kept: Kept,
    old: import_cards.Remembered,
    source: str,
    full_export: bool,
) -> Planned:
    """Plan the records not kept against the contacts they can reach and this source's own."""
    values = await anyio.to_thread.run_sync(lambda: _lookup_values(records, left))
    reached = await key_owners(user_id, values)
    mine = await source_contacts(user_id, source) if full_export else set()
    wanted = reached | (mine - kept.contacts)
    book: Book = await load_book(user_id, wanted)
    also_mine = len((mine & kept.contacts) - wanted)
    skip = Kept(kept.records, kept.contacts, also_mine)

    def plan() -> ImportPlan:
        existing = book.contacts()
        return plan_import(records, existing, source=source, full_export=full_export, kept=skip)

    result = await anyio.to_thread.run_sync(plan)
    return Planned(result, skip, cards, book.owners(), old)


async def remember(
    user_id: int,
    source: str,
    records: Sequence[ContactRecord],
    planned: Planned,
    new_ids: Sequence[int],
) -> None:
    """After the writes: remember each planned card that alone made its contact and whose keys
    all are that contact's, with the contact's state as this import left it. Kept cards keep
    what they had; every other card of this source is forgotten."""
    pairs = rememberable_pairs(records, planned, new_ids)
    if not pairs and not planned.old:
        return
    by_index = planned.cards_by_index
    await import_cards.forget(
        user_id, source, planned.old, {by_index[i].uid for i in planned.kept.records}
    )
    await remember_pairs(user_id, source, records, pairs)


def rememberable_pairs(
    records: Sequence[ContactRecord], planned: Planned, new_ids: Sequence[int]
) -> list[tuple[CardKeys, int]]:
    """(card, contact) of each planned card worth remembering (see `remember`)."""
    plan = planned.plan
    by_index = planned.cards_by_index
    added: dict[int, set[Key]] = {}
    for update in plan.updates:
        added.setdefault(update.contact_id, set()).update(update.add_keys)
    landed: list[tuple[int, tuple[int, bool]]] = [
        (m.record, (m.contact_id, False) if m.contact_id is not None else (m.create or 0, True))
        for m in plan.matches
    ]
    pairs: list[tuple[CardKeys, int]] = []
    for index, (target, created) in rememberable(landed):
        card = by_index.get(index)
        if card is None or records[index].connected_on:
            continue
        cid = new_ids[target] if created else target
        if keys_landed(card, cid, planned.owners, None if created else added):
            pairs.append((card, cid))
    return pairs


async def remember_pairs(
    user_id: int,
    source: str,
    records: Sequence[ContactRecord],
    pairs: Sequence[tuple[CardKeys, int]],
    raw: Mapping[int, import_cards.Raw] | None = None,
) -> None:
    """Remember these cards with their contacts' states as they are now; `raw`: what a large
    file's batches recognise a card by next time, by the card's line."""
    raw = raw or {}
    for start in range(0, len(pairs), REMEMBER_CHUNK):  # a chunk at a time: bounded memory
        chunk = pairs[start : start + REMEMBER_CHUNK]
        states = await contact_states(user_id, {cid for _, cid in chunk})
        digests = await anyio.to_thread.run_sync(_digests, records, chunk)
        new = [
            (card.uid, digest, cid, states[cid], raw.get(records[card.index].line, NO_RAW))
            for (card, cid), digest in zip(chunk, digests, strict=True)
            if cid in states
        ]
        await import_cards.add(user_id, source, new)


def _digests(records: Sequence[ContactRecord], pairs: Sequence[tuple[CardKeys, int]]) -> list[str]:
    return [card_digest(records[card.index]) for card, _ in pairs]


async def gone_from_export(
    user_id: int,
    source: str,
    *,
    touched: Collection[int],
    fresh: Collection[int],
    any_records: bool,
    issues: list[ImportIssue],
) -> list[int]:
    """After every batch of a full export: the contacts of this source it no longer has, as
    one plan of the whole file would archive them (`archives_for_full_export`, with its guard
    against a truncated export). `touched`: every contact a record of the file reached (kept
    ones too); `fresh`: the contacts this import created or unarchived (not the source's before).
    """
    mine = await source_contacts(user_id, source)
    before = mine.difference(fresh)
    gone = before.difference(touched)
    book = await load_book(user_id, gone) if gone else Book([], {})
    existing = book.contacts()
    seen = set(touched)
    return archives_for_full_export(
        existing, seen, source, any_records, issues, len(before) - len(gone)
    )
