"""What the last successful sync of each DAV collection left: the RFC 6578 sync-token and the
ETag (and UID) of every member, so the next run asks only for what changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.db.tables import SyncState
from api.jsonutil import dump, load_dict


@dataclass
class CollectionState:
    sync_token: str | None = None
    members: dict[str, tuple[str, str]] = field(default_factory=dict)  # href -> (etag, uid)


async def load_state(source_id: int, collection: str) -> CollectionState:
    row = (
        await SyncState.select(SyncState.sync_token, SyncState.etags)
        .where((SyncState.import_source == source_id) & (SyncState.collection == collection))
        .first()
        .run()
    )
    if row is None:
        return CollectionState()
    members = {
        str(h): (str(v[0]), str(v[1]))
        for h, v in load_dict(row["etags"]).items()
        if isinstance(v, list) and len(v) == 2
    }
    return CollectionState(row["sync_token"], members)


async def save_state(source_id: int, collection: str, state: CollectionState) -> None:
    """Upsert (the caller holds the write transaction that also wrote the data)."""
    etags = dump({h: list(v) for h, v in sorted(state.members.items())})
    where = (SyncState.import_source == source_id) & (SyncState.collection == collection)
    exists = await SyncState.exists().where(where).run()
    if exists:
        await (
            SyncState.update({SyncState.sync_token: state.sync_token, SyncState.etags: etags})
            .where(where)
            .run()
        )
        return
    await SyncState.insert(
        SyncState(
            import_source=source_id,
            collection=collection,
            sync_token=state.sync_token,
            etags=etags,
        )
    ).run()


async def forget_token(source_id: int, collection: str) -> None:
    """Drop the sync-token (kept: the ETags), so the next run starts a full listing."""
    await (
        SyncState.update({SyncState.sync_token: None})
        .where((SyncState.import_source == source_id) & (SyncState.collection == collection))
        .run()
    )
