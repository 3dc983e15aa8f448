"""Cards of a large file recognised by their bytes: a re-import does not even read them.

The batches remember each card that made exactly one record and no issue with the digest of its
bytes (pipeline/formats/vcard/spans.py; keyed by the parser's identity and the region,
api/services/parser_identity.py). Next time a card with those bytes, whose contact's state is
still the one remembered, is the card that was read then onto the contact nobody touched since:
its outcome is known ("unchanged") without reading, matching or writing it, exactly as
`select_kept` would have decided after reading it. When a card that is read reaches a contact a
recognised card stands for (they share a key, or the plan touches it), the batch is read and
planned again whole, as without recognition: the two cards are one person's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import NamedTuple

from api.store import import_cards
from api.store.book import contact_states
from pipeline.formats.stream import Batch, BatchReader, Piece
from pipeline.identity.match import ImportPlan
from pipeline.identity.merge import SCALAR_FIELDS
from pipeline.identity.unchanged import Stored
from pipeline.models import ContactRecord


class Known(NamedTuple):
    """A card recognised by its bytes: its BEGIN line in the file and what was remembered."""

    line: int
    uid: str
    row: int
    stored: Stored


def given_bits(record: ContactRecord) -> int:
    """The SCALAR_FIELDS this card has a value for, as bits (what `combine` would take)."""
    bits = 0
    for bit, name in enumerate(SCALAR_FIELDS):
        value = getattr(record, name)
        if isinstance(value, str) and value.strip():
            bits |= 1 << bit
    return bits


def next_piece(pieces: Iterator[bytes], reader: BatchReader) -> Piece | None:
    """The next piece of the file, cut into cards (in a worker thread: it scans the bytes)."""
    piece = next(pieces, None)
    return None if piece is None else reader.cut(piece)


async def recognise(
    user_id: int,
    piece: Piece,
    pending: import_cards.Remembered,
    by_body: Mapping[str, str],
) -> dict[int, Known]:
    """The piece's cards (indexes of its spans) recognised by their bytes whose contacts are as
    remembered; each is taken out of `pending` (a second card with the same bytes is read)."""
    found: dict[int, Known] = {}
    uids: set[str] = set()
    for index, span in enumerate(piece.spans or ()):
        uid = by_body.get(span.digest) if span.digest is not None else None
        got = pending.get(uid) if uid is not None else None
        # The same bytes twice in one piece: the first is recognised, the second is read.
        if uid is None or got is None or got[1].body != span.digest or uid in uids:
            continue
        uids.add(uid)
        found[index] = Known(span.line + piece.offset, uid, got[0], got[1])
    if not found:
        return {}
    states = await contact_states(user_id, {k.stored.contact for k in found.values()})
    known = {i: k for i, k in found.items() if states.get(k.stored.contact) == k.stored.state}
    for k in known.values():
        pending.pop(k.uid)
    return known


def give_back(known: Mapping[int, Known], pending: import_cards.Remembered) -> None:
    """Undo `recognise`: the cards are read after all."""
    for k in known.values():
        pending[k.uid] = (k.row, k.stored)


def reaches(plan: ImportPlan, contacts: Collection[int]) -> bool:
    """Whether the plan of the cards read does anything with one of these contacts."""
    if not contacts:
        return False
    touched = {m.contact_id for m in plan.matches}
    touched.update(u.contact_id for u in plan.updates)
    touched.update(plan.unchanged)
    touched.update(c for s in plan.suggestions for c in (s.a, s.b))
    return not touched.isdisjoint(contacts)


def raw_of(
    batch: Batch, records: Sequence[ContactRecord], given: Sequence[int]
) -> dict[int, import_cards.Raw]:
    """What to remember of each recognisable card of the batch, by its line (`given`: each
    record's `given_bits`)."""
    if not batch.raw:
        return {}
    return {
        r.line: (digest, bits, batch.versions_at.get(r.line, ""))
        for r, bits in zip(records, given, strict=True)
        if (digest := batch.raw.get(r.line)) is not None
    }


def refreshed(
    kept: Sequence[tuple[int, int]],
    records: Sequence[ContactRecord],
    rows: Mapping[int, tuple[int, Stored]],
    raw: Mapping[int, import_cards.Raw],
) -> list[tuple[int, import_cards.Raw]]:
    """Remembered rows of cards kept after reading (`select_kept`) whose bytes' digest is not
    the one remembered (remembered before, or by another parser): (row id, what to store)."""
    out = []
    for index, _ in kept:
        line = records[index].line
        got = rows.get(index)
        new = raw.get(line, import_cards.NO_RAW)
        if got is not None and (got[1].body, got[1].given, got[1].version) != new:
            out.append((got[0], new))
    return out
