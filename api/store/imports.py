"""Import writes: the executor of one import's write list.

`execute_writes` is the database twin of `pipeline.identity.writes.apply_writes`: both consume
the same `ImportWrites`, so the idempotence properties test what production does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from api.db.bulk import DuplicateRow, fetch_tuples, insert_many
from api.db.tables import Contact, ContactKey, Interaction
from api.jsonutil import dump
from api.store.book import FIELDS, contact_columns
from api.store.merges import add_suggestions
from pipeline.identity.merge import LIST_FIELDS, SCALAR_FIELDS
from pipeline.identity.writes import ImportWrites, InsertContact, New, Ref

# (stage, done, total); a total of 0 means not known yet (a batched import counts its cards).
Progress = Callable[[str, int, int], None]


class StalePlan(Exception):
    """A key the plan gives a contact is already held: the book changed after it was loaded.
    The caller rolls the transaction back and plans again."""


_INSERT_COLUMNS = (
    *FIELDS,
    "user",
    "photo",
    "source",
    "created_at",
    "updated_at",
    "archived",
    "kin",
    "score",
    "health",
    "edited_fields",
)

_FULL_NAME = SCALAR_FIELDS.index("full_name")


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def _insert_contacts(
    user_id: int,
    writes: ImportWrites,
    photos: Sequence[bytes | None],
    now: dt.datetime,
    progress: Progress | None,
) -> list[int]:
    """One executemany, then the new ids in insertion order (this transaction holds the write
    lock on SQLite, and the user's lock on PostgreSQL: no other import of this user's inserts
    contacts meanwhile, so the (user, source, created_at) filter reads back ours alone)."""

    def row(insert: InsertContact, photo: bytes | None) -> list[Any]:
        # `column_values` of every field, inlined: it ran per field of every new contact.
        fields = insert.fields
        cells: list[Any] = [fields.get(n) for n in SCALAR_FIELDS]
        if cells[_FULL_NAME] is None:
            cells[_FULL_NAME] = ""  # never NULL
        for n in LIST_FIELDS:
            value = fields.get(n)
            cells.append(dump(value) if value and isinstance(value, list) else "[]")
        cells += (user_id, photo, writes.source, now, now, False, False, 0.0, 0, "[]")
        return cells

    if len(photos) != len(writes.inserts):
        raise ValueError("one photo (or None) per inserted contact")
    # Plain SQL for both reads: Piccolo built a dict per id read back (50,000 of them).
    before = await fetch_tuples('SELECT max(id) FROM contact WHERE "user" = ?', user_id)
    done, total = 0, len(writes.inserts)
    # Rows are built a chunk at a time: never every new contact's cells at once.
    for start in range(0, total, 5000):
        end = min(total, start + 5000)
        chunk = [row(writes.inserts[i], photos[i]) for i in range(start, end)]
        await insert_many(Contact, _INSERT_COLUMNS, chunk)
        done = end
        if progress:
            progress("saving", done, total)
    if not total:
        return []
    got = await fetch_tuples(
        'SELECT id FROM contact WHERE "user" = ? AND id > ? AND source = ? AND created_at = ? '
        "ORDER BY id",
        user_id,
        before[0][0] or 0,
        writes.source,
        now,
    )
    ids = [int(r[0]) for r in got]
    if len(ids) != total:
        raise RuntimeError("could not read back the ids of the new contacts")
    return ids


async def execute_writes(
    user_id: int,
    writes: ImportWrites,
    *,
    photos: Sequence[bytes | None],
    connections: Sequence[tuple[Ref, dt.datetime]],
    now: dt.datetime,
    progress: Progress | None = None,
    new_ids: list[int] | None = None,
) -> int:
    """Write `writes` (the caller holds the write transaction); returns the interactions added,
    and puts the ids of the inserted contacts (in `writes.inserts` order) in `new_ids`.
    Raises `StalePlan` when the book changed since the plan was made (roll back, plan again).

    `photos[i]` is the thumbnail of `writes.inserts[i]`; each connection becomes one past
    `connected` interaction of its contact (LinkedIn's `Connected On` counts in the score).
    """
    ids = await _insert_contacts(user_id, writes, photos, now, progress)
    if new_ids is not None:
        new_ids.extend(ids)

    def contact_id(ref: Ref) -> int:
        return ids[ref.index] if isinstance(ref, New) else ref

    for update in writes.updates:
        values = contact_columns(update.changes)
        if update.unarchive:
            values[Contact.archived] = False
        if values:
            values[Contact.updated_at] = now
            await Contact.update(values).where(Contact.id == update.contact_id).run()
    key_rows = [
        (user_id, ids[ref.index] if isinstance(ref, New) else ref, kind, value)
        for ref, (kind, value) in writes.keys
    ]
    # Never ignore a conflict here: the plan gives only keys nobody holds, so a conflict means
    # another writer took one after the plan was made, and skipping it would leave a contact
    # without its key (issue 16: the second concurrent import's contacts lost their emails).
    try:
        await insert_many(ContactKey, ["user", "contact", "kind", "value"], key_rows)
    except DuplicateRow as exc:
        raise StalePlan(f"a contact key was taken while the import was planned ({exc})") from exc
    for chunk in _chunks(writes.archives, 500):
        await (
            Contact.update({Contact.archived: True, Contact.updated_at: now})
            .where(Contact.id.is_in(list(chunk)))
            .run()
        )
    interactions = [
        Interaction(
            user=user_id,
            contact=cid,
            kind="connected",
            at=at,
            source="import",
            dedup_key=f"connected:{cid}",
            created_at=now,
        )
        for ref, at in connections
        for cid in (contact_id(ref),)
    ]
    added = 0
    for chunk in _chunks(interactions, 500):
        got = (
            await Interaction.insert(*chunk)
            .on_conflict(action="DO NOTHING")
            .returning(Interaction.id)
            .run()
        )
        added += len(got)
    await add_suggestions(user_id, writes.suggestions, now)
    return added
