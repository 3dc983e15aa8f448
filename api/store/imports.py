"""Import writes: the contacts the matcher sees, and the executor of one import's write list.

`execute_writes` is the database twin of `pipeline.identity.writes.apply_writes`: both consume
the same `ImportWrites`, so the idempotence properties test what production does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from api.db.bulk import fetch_tuples, insert_many
from api.db.tables import Contact, ContactKey, Interaction, MergeSuggestion
from api.jsonutil import dump, load_list
from pipeline.identity.merge import LIST_FIELDS, SCALAR_FIELDS, ExistingContact, Suggestion
from pipeline.identity.writes import ImportWrites, New, Ref

FIELDS = (*SCALAR_FIELDS, *LIST_FIELDS)
Progress = Callable[[str, int, int], None]
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


async def load_existing(user_id: int) -> list[ExistingContact]:
    """Every contact with its keys, as the matcher sees them (call inside the transaction).

    Plain tuples from the driver: for a 50,000-contact book, a dict per row was most of the cost.
    """
    cols = ", ".join(f'"{n}"' for n in FIELDS)
    rows = await fetch_tuples(
        f'SELECT id, {cols}, edited_fields, archived, source FROM contact WHERE "user" = ?',
        user_id,
    )
    keys = await fetch_tuples(
        'SELECT contact, kind, value FROM contact_key WHERE "user" = ?', user_id
    )
    by_contact: dict[int, dict[str, set[str]]] = {}
    for contact, kind, value in keys:
        by_contact.setdefault(contact, {}).setdefault(kind, set()).add(value)
    scalars = len(SCALAR_FIELDS)
    out = []
    for r in rows:
        ks = by_contact.get(r[0], {})
        fields: dict[str, object] = {n: r[1 + i] or None for i, n in enumerate(SCALAR_FIELDS)}
        for i, n in enumerate(LIST_FIELDS):
            text = r[1 + scalars + i]
            fields[n] = load_list(text) if text and text != "[]" else []
        edited = r[1 + len(FIELDS)]
        out.append(
            ExistingContact(
                id=r[0],
                source_uids=frozenset(ks.get("source-uid", ())),
                emails=frozenset(ks.get("email", ())),
                phones=frozenset(ks.get("phone", ())),
                fields=fields,
                edited_fields=frozenset(load_list(edited))
                if edited and edited != "[]"
                else frozenset(),
                archived=bool(r[2 + len(FIELDS)]),
                source=r[3 + len(FIELDS)],
            )
        )
    return out


def column_values(values: Mapping[str, object]) -> dict[str, Any]:
    """Contact field values as their columns store them (lists as JSON text, full_name never
    NULL); names that are not contact fields are dropped."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in LIST_FIELDS:
            out[name] = dump(list(value) if isinstance(value, list) else [])
        elif name in SCALAR_FIELDS:
            out[name] = value if value is not None else ("" if name == "full_name" else None)
    return out


def contact_columns(values: Mapping[str, object]) -> dict[Any, Any]:
    """`column_values` keyed by Piccolo column, for an UPDATE."""
    return {Contact._meta.get_column_by_name(n): v for n, v in column_values(values).items()}


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
    lock on SQLite; on PostgreSQL the (user, source, created_at) filter is ours alone)."""
    rows: list[list[Any]] = []
    for insert, photo in zip(writes.inserts, photos, strict=True):
        cells = column_values({n: insert.fields.get(n) for n in FIELDS})
        rows.append(
            [
                *(cells[n] for n in FIELDS),
                user_id,
                photo,
                writes.source,
                now,
                now,
                False,
                False,
                0.0,
                0,
                "[]",
            ]
        )
    before = (
        await Contact.select(Contact.id)
        .where(Contact.user == user_id)
        .order_by(Contact.id, ascending=False)
        .first()
        .run()
    )
    done = 0
    for chunk in _chunks(rows, 5000):
        await insert_many(Contact, _INSERT_COLUMNS, chunk)
        done += len(chunk)
        if progress:
            progress("saving", done, len(rows))
    if not rows:
        return []
    got = (
        await Contact.select(Contact.id)
        .where(
            (Contact.user == user_id)
            & (Contact.id > (before["id"] if before else 0))
            & (Contact.source == writes.source)
            & (Contact.created_at == now)
        )
        .order_by(Contact.id)
        .run()
    )
    ids = [int(r["id"]) for r in got]
    if len(ids) != len(rows):
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
) -> int:
    """Write `writes` (the caller holds the write transaction); returns the interactions added.

    `photos[i]` is the thumbnail of `writes.inserts[i]`; each connection becomes one past
    `connected` interaction of its contact (LinkedIn's `Connected On` counts in the score).
    """
    ids = await _insert_contacts(user_id, writes, photos, now, progress)

    def contact_id(ref: Ref) -> int:
        return ids[ref.index] if isinstance(ref, New) else ref

    for update in writes.updates:
        values = contact_columns(update.changes)
        if update.unarchive:
            values[Contact.archived] = False
        if values:
            values[Contact.updated_at] = now
            await Contact.update(values).where(Contact.id == update.contact_id).run()
    key_rows = [(user_id, contact_id(ref), k.kind, k.value) for ref, k in writes.keys]
    await insert_many(
        ContactKey, ["user", "contact", "kind", "value"], key_rows, ignore_conflicts=True
    )
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


async def add_suggestions(user_id: int, found: Sequence[Suggestion], now: dt.datetime) -> None:
    """Record merge suggestions for pairs not suggested before (in any state)."""
    for s in found:
        exists = (
            await MergeSuggestion.exists()
            .where(
                (MergeSuggestion.user == user_id)
                & (MergeSuggestion.contact_a == s.a)
                & (MergeSuggestion.contact_b == s.b)
            )
            .run()
        )
        if not exists:
            await MergeSuggestion.insert(
                MergeSuggestion(
                    user=user_id,
                    contact_a=s.a,
                    contact_b=s.b,
                    score=s.score,
                    reason=s.reason,
                    changed_at=now,
                )
            ).run()
