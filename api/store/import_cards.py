"""What the last import of each source remembered about its cards (pipeline.identity.unchanged)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from api.db.bulk import fetch_tuples, insert_many, update_many
from api.db.tables import ImportCard
from pipeline.identity.unchanged import Stored

Remembered = dict[str, tuple[int, Stored]]  # card uid -> (row id, what was remembered)
# What a large file's batches remember of a card beside its digests: (raw digest, given, version).
Raw = tuple[str | None, int, str]
NO_RAW: Raw = (None, 0, "")


async def remembered(user_id: int, source: str) -> Remembered:
    """Every remembered card of this source (inside the import's transaction)."""
    rows = await fetch_tuples(
        # `+ 0`: the same integers, without SQLite's per-value INTEGER converter (an expression
        # has no declared type); a re-import reads every card of its source.
        "SELECT id + 0, uid, card, contact + 0, state, body, given + 0, version FROM import_card "
        'WHERE "user" = ? AND source = ?',
        user_id,
        source,
    )
    return {
        uid: (row_id, Stored(card, contact, state, raw, given, version))
        for row_id, uid, card, contact, state, raw, given, version in rows
    }


async def forget(user_id: int, source: str, old: Remembered, keep: Collection[str]) -> None:
    """Forget every remembered card of this source but `keep` (uids), in the import's
    transaction."""
    if not keep:
        await (
            ImportCard.delete()
            .where((ImportCard.user == user_id) & (ImportCard.source == source))
            .run()
        )
        return
    stale = [row_id for uid, (row_id, _) in old.items() if uid not in keep]
    for i in range(0, len(stale), 500):
        await ImportCard.delete().where(ImportCard.id.is_in(stale[i : i + 500])).run()


async def add(user_id: int, source: str, new: Sequence[tuple[str, str, int, str, Raw]]) -> None:
    """Remember these cards: (uid, card digest, contact id, state digest, raw)."""
    rows = [
        (user_id, contact, source, uid, card, state, *raw) for uid, card, contact, state, raw in new
    ]
    columns = ["user", "contact", "source", "uid", "card", "state", "body", "given", "version"]
    await insert_many(ImportCard, columns, rows)


async def set_raw(rows: Sequence[tuple[int, Raw]]) -> None:
    """Give remembered cards (row ids) their raw digests, as this import read their bytes."""
    await update_many(ImportCard, ["body", "given", "version"], [(*raw, row) for row, raw in rows])


async def forget_rows(row_ids: Collection[int]) -> None:
    """Forget these remembered cards (row ids of `remembered`), in the import's transaction."""
    rows = sorted(row_ids)
    for i in range(0, len(rows), 500):
        await ImportCard.delete().where(ImportCard.id.is_in(rows[i : i + 500])).run()
