"""A large vCard export imported a batch of cards at a time, inside the import's ONE write
transaction (a failed import still leaves the database as it was), so that memory holds one
batch's records, plan and thumbnails, never the whole file's.

Each batch is planned against the database as the earlier batches left it, by the contacts its
keys reach. A card sharing a key with a card of an earlier batch so lands on the contact that
card landed on, as an update, where one plan of the whole file would have grouped both cards;
the update is trimmed to what the grouped plan writes (a scalar field takes the first card's
value that has one, in file order; lists grow in file order), counts and "same person" issues
are told as the whole-file plan tells them, and a full export's archiving is decided once,
after the last batch, from every contact the file reached. What still differs from one plan:
- a card that shares keys with the contacts of two cards of earlier batches leaves them two
  contacts and a merge suggestion (one plan groups the three cards into one contact);
- a new contact takes its photo from its cards of the batch that created it only;
- the name fallback (a uid-less card matched by its name) is decided per batch: a keyless card
  of another batch with that name does not stop it, and two cards wanting the same contact in
  different batches do not cancel each other;
- a name built from parts (given, family) that come from cards of different batches is built
  from the later card's parts alone.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio

from api.services.import_apply import apply_import
from api.services.import_known import (
    Known,
    give_back,
    given_bits,
    next_piece,
    raw_of,
    reaches,
    recognise,
    refreshed,
)
from api.services.import_plan import (
    Planned,
    gone_from_export,
    plan_records,
    remember_pairs,
    rememberable_pairs,
)
from api.services.users import UserInfo
from api.store import import_cards
from api.store.imports import Progress, execute_writes
from pipeline.formats.stream import (
    CHUNK_BYTES,
    BatchReader,
    Piece,
    chunks_of,
    cuttable,
    looks_vcard,
    split_pieces,
    vcard_format,
)
from pipeline.identity.match import ImportPlan
from pipeline.identity.merge import SCALAR_FIELDS
from pipeline.identity.unchanged import Stored
from pipeline.identity.writes import ImportWrites
from pipeline.limits import clip_records
from pipeline.models import ContactRecord, ImportIssue, ParseResult

Chunks = Callable[[], Iterable[bytes]]  # a file read in chunks, from its start at each call


def file_chunks(path: Path) -> Chunks:
    """A stored file as Chunks: a large export is never all in memory (OSError when read if
    the file went away)."""

    def read() -> Iterator[bytes]:
        with path.open("rb") as file:
            while chunk := file.read(CHUNK_BYTES):
                yield chunk

    return read


# What became of a contact a card landed on, as bits above the SCALAR_FIELDS' eight.
_NEW, _UPDATED, _UNCHANGED = 1 << 8, 1 << 9, 1 << 10
_LINE = 11  # the first card's line is stored above those


@dataclass(slots=True)
class _Totals:
    """What the batches did so far: one small int per contact, never records (a 200,000-card
    file keeps a few megabytes here)."""

    # Contact a card landed on -> its first card's line << _LINE | what became of it | the
    # SCALAR_FIELDS its cards gave a value for.
    landed: dict[int, int] = field(default_factory=dict)
    reached: set[int] = field(default_factory=set)  # contacts only a key reached (suggestions)
    unarchived: set[int] = field(default_factory=set)
    new: int = 0
    skipped: int = 0
    interactions: int = 0
    any_records: bool = False
    versions: Counter[str] = field(default_factory=Counter)

    def counts(self, archived: int) -> dict[str, int]:
        updated = unchanged = 0
        for state in self.landed.values():
            if state & _NEW:
                continue
            if state & _UPDATED:
                updated += 1
            elif state & _UNCHANGED:
                unchanged += 1
        return {
            "new": self.new,
            "updated": updated,
            "unchanged": unchanged,
            "archived": archived,
            "skipped": self.skipped,
            "interactions": self.interactions,
        }

    def created(self) -> set[int]:
        return {cid for cid, state in self.landed.items() if state & _NEW}


@dataclass(frozen=True, slots=True)
class Outcome:
    format: str
    counts: dict[str, int]
    issues: list[ImportIssue]
    versions: Counter[str] = field(default_factory=Counter)


def batched_chunks(raw: bytes | Chunks, fmt: str, batch_cards: int) -> Chunks | None:
    """How to read `raw` in chunks when it is a vCard export of more than `batch_cards` cards
    that can be cut on bytes (pipeline/formats/stream.py); None: import it whole."""
    if fmt not in ("auto", "vcard"):
        return None
    chunks: Chunks = raw if not isinstance(raw, bytes) else functools.partial(chunks_of, raw)
    head = next(iter(chunks()), b"")
    if not cuttable(head) or (fmt == "auto" and not looks_vcard(head)):
        return None
    pieces = split_pieces(chunks(), batch_cards)
    if next(pieces, None) is None or next(pieces, None) is None:
        return None  # one batch at most: the whole file, exactly as before
    return chunks


_SAME = "same person as line "
_BITS = {name: 1 << bit for bit, name in enumerate(SCALAR_FIELDS)}


def _as_one_plan(plan: ImportPlan, totals: _Totals) -> tuple[ImportPlan, list[ImportIssue]]:
    """The batch's plan as one plan of the whole file would have it: an update of a contact
    that cards of earlier batches landed on keeps no scalar those cards gave (the first card
    with a value wins, as in `combine`), and each card landing there is "the same person as"
    the first of them (instead of the first of this batch)."""
    landed = totals.landed
    updates = []
    for update in plan.updates:
        had = landed.get(update.contact_id)
        if had is None:
            updates.append(update)
            continue
        changes = {
            name: value
            for name, value in update.changes.items()
            if name not in _BITS or not had & _BITS[name]
        }
        if changes or update.add_keys or update.unarchive:
            updates.append(replace(update, changes=changes))
    issues: list[ImportIssue] = []
    again: set[int] = set()  # lines of cards landing on such a contact
    for match in plan.matches:
        had = landed.get(match.contact_id) if match.contact_id is not None else None
        if had is not None:
            again.add(match.line)
            issues.append(
                ImportIssue(match.line, f"{_SAME}{had >> _LINE}: merged into one contact")
            )
    if again:
        kept = [i for i in plan.issues if not (i.line in again and i.message.startswith(_SAME))]
        plan = replace(plan, issues=tuple(kept))
    return replace(plan, updates=tuple(updates)), issues


async def import_batches(
    user: UserInfo,
    pieces: Iterator[bytes],
    reader: BatchReader,
    *,
    source: str,
    now: dt.datetime,
    full_export: bool,
    progress: Progress | None = None,
    fail_after_rows: int | None = None,
    seen: Outcome | None = None,
) -> Outcome:
    """Import every piece of the file (the caller holds the write transaction with the user's
    lock); cards recognised by their bytes are not read (api/services/import_known.py).
    `seen` gets the issues and versions as the batches find them (what a failed import
    reports)."""
    seen = seen or Outcome("vcard", {}, [])
    totals = _Totals(versions=seen.versions)
    issues = seen.issues
    # This source's remembered cards that no batch has decided about yet (each batch takes its
    # own out): the one thing held per card of the source, not per card of the file.
    pending = await import_cards.remembered(user.id, source)
    by_body = {got.body: uid for uid, (_, got) in pending.items() if got.body}
    # One running count for the whole file (its number of cards is known only at its end),
    # not a bar per batch that starts again from zero.
    cards = 0
    # Each piece is cut in a worker thread (not on the event loop), one after the other: cutting
    # the next one during this one's database reads was slower (both hold the GIL).
    while (piece := await anyio.to_thread.run_sync(next_piece, pieces, reader)) is not None:
        known = await recognise(user.id, piece, pending, by_body)
        cards += await _one_batch(user, piece, reader, known, pending, totals, issues, source, now)
        del piece, known
        if progress:
            progress("importing", cards, 0)  # total 0: not known yet
        if fail_after_rows is not None and totals.new >= fail_after_rows:
            raise RuntimeError("injected failure after writing rows")
    if pending:  # cards of this source the file no longer has
        await import_cards.forget_rows([row for row, _ in pending.values()])
    archived: list[int] = []
    if full_export:
        archived = await gone_from_export(
            user.id,
            source,
            touched=totals.landed.keys() | totals.reached,
            fresh=totals.created() | totals.unarchived,
            any_records=totals.any_records,
            issues=issues,
        )
        if archived:
            writes = ImportWrites(source, archives=tuple(archived))
            await execute_writes(user.id, writes, photos=[], connections=[], now=now)
    if progress:
        progress("importing", cards, cards)
    return Outcome(
        vcard_format(totals.versions), totals.counts(len(archived)), issues, totals.versions
    )


async def _one_batch(
    user: UserInfo,
    piece: Piece,
    reader: BatchReader,
    known: dict[int, Known],
    pending: import_cards.Remembered,
    totals: _Totals,
    issues: list[ImportIssue],
    source: str,
    now: dt.datetime,
) -> int:
    """Read, plan, write and remember one piece's cards but the recognised ones (`known`);
    returns how many cards the piece held."""
    while True:
        batch = await anyio.to_thread.run_sync(reader.read, piece, known.keys())
        records, clipped = clip_records(batch.contacts)
        planned = await plan_records(
            user.id, records, source=source, full_export=False, old=pending, part=True
        )
        if not reaches(planned.plan, {k.stored.contact for k in known.values()}):
            break
        give_back(known, pending)  # a card read shares a key with a recognised one
        known = {}
    # Versions in file order, so that a tie names the format as one reading would.
    at = sorted([*batch.versions_at.items(), *((k.line, k.stored.version) for k in known.values())])
    totals.versions.update(version for _, version in at if version)
    issues += batch.issues
    issues += clipped
    plan, merged = _as_one_plan(planned.plan, totals)
    issues += plan.issues
    issues += merged
    result = ParseResult("vcard", records, [])
    new_ids: list[int] = []
    counts = await apply_import(user, result, plan, now, None, None, new_ids)
    issues += result.issues  # photos that could not be used
    totals.interactions += counts["interactions"]
    totals.skipped += len(plan.skipped)
    totals.any_records |= bool(planned.cards) or bool(known)
    # Remembered from the batch's own plan, with the trimmed updates (keys it adds).
    planned = replace(planned, plan=plan)
    given = [given_bits(r) for r in records]  # once per card: remembered and tallied
    raw = raw_of(batch, records, given)
    kept = await _remember(user.id, source, records, planned, new_ids, pending, totals, raw)
    _tally(plan, records, given, new_ids, kept, totals)
    for k in known.values():
        _land(totals, k.stored.contact, k.line, k.stored.given | _UNCHANGED)
    return len(records) + len(known)


async def _remember(
    user_id: int,
    source: str,
    records: Sequence[ContactRecord],
    planned: Planned,
    new_ids: list[int],
    pending: import_cards.Remembered,
    totals: _Totals,
    raw: dict[int, import_cards.Raw],
) -> list[tuple[int, int]]:
    """The batch's share of `remember`: its cards' old rows go unless kept, and a card is
    remembered only if no card of an earlier batch landed on its contact (a contact made of
    cards of several batches depends on all of them, as in one plan). That also keeps a uid
    from being remembered twice: a later card with a remembered card's uid lands on the
    contact holding that uid key (uids match first, DESIGN.md section 4), an earlier one's."""
    by_index = planned.cards_by_index
    kept = {by_index[i].uid for i in planned.kept.records}
    stale = []
    landed: list[tuple[int, int]] = []  # kept card -> its contact: it landed there unplanned
    rows: dict[int, tuple[int, Stored]] = {}
    for card in planned.cards:
        got = pending.pop(card.uid, None)
        if got is None:
            continue
        if card.uid in kept:
            landed.append((card.index, got[1].contact))
            rows[card.index] = got
        else:
            stale.append(got[0])
    await import_cards.forget_rows(stale)
    await import_cards.set_raw(refreshed(landed, records, rows, raw))
    pairs = [
        (card, cid)
        for card, cid in rememberable_pairs(records, planned, new_ids)
        if cid not in totals.landed
    ]
    await remember_pairs(user_id, source, records, pairs, raw)
    return landed


def _tally(
    plan: ImportPlan,
    records: Sequence[ContactRecord],
    given: Sequence[int],
    new_ids: list[int],
    kept: list[tuple[int, int]],
    totals: _Totals,
) -> None:
    """Fold one batch's outcome into the totals (after it was written and remembered)."""
    totals.new += len(new_ids)
    totals.unarchived.update(plan.unarchives)
    flags = dict.fromkeys(new_ids, _NEW)
    for update in plan.updates:
        flags[update.contact_id] = flags.get(update.contact_id, 0) | _UPDATED
    for cid in plan.unchanged:
        flags[cid] = flags.get(cid, 0) | _UNCHANGED
    landed = totals.landed
    where = [
        (m.record, m.contact_id if m.contact_id is not None else new_ids[m.create or 0])
        for m in plan.matches
        if m.contact_id is not None or m.create is not None
    ]
    for index, cid in sorted([*where, *kept]):  # file order: the first card names the contact
        record = records[index]
        _land(totals, cid, record.line, given[index] | flags.get(cid, 0))
    for suggestion in plan.suggestions:
        totals.reached.update(c for c in (suggestion.a, suggestion.b) if c not in landed)


def _land(totals: _Totals, cid: int, line: int, state: int) -> None:
    """A card of this line landed on contact `cid` with these bits; the first one names it."""
    had = totals.landed.get(cid)
    totals.landed[cid] = (line << _LINE | state) if had is None else had | state
