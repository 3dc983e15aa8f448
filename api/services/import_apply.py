"""Persisting one planned import: thumbnails for the new contacts, then the plan's writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import anyio

from api.services.photos import Thumb, thumbnail
from api.services.users import UserInfo
from api.store.imports import Progress, execute_writes
from pipeline.identity.match import ImportPlan
from pipeline.identity.writes import ImportWrites, Ref, writes_of
from pipeline.models import ContactRecord, ImportIssue, ParseResult

Photos = dict[int, Thumb]  # record index -> its photo's thumbnail


def _connected_at(record: ContactRecord) -> dt.datetime | None:
    if not record.connected_on:
        return None
    try:
        day = dt.date.fromisoformat(record.connected_on[:10])
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _photo_records(writes: ImportWrites, records: Sequence[ContactRecord]) -> list[int | None]:
    """Per inserted contact, the index of its first record with a photo (None: no photo)."""
    return [
        next((i for i in insert.records if records[i].photo), None) for insert in writes.inserts
    ]


def thumbnails(records: Sequence[ContactRecord], indexes: Iterable[int]) -> Photos:
    """Thumbnails of these records' photos (CPU-bound: run in a worker thread)."""
    return {i: thumbnail(records[i].photo or b"") for i in indexes}


async def _photos(
    writes: ImportWrites, records: Sequence[ContactRecord], prepared: Photos
) -> tuple[list[bytes | None], list[ImportIssue]]:
    """A thumbnail per inserted contact, and an issue for each photo that was skipped."""
    indexes = _photo_records(writes, records)
    missing = [i for i in indexes if i is not None and i not in prepared]
    made = await anyio.to_thread.run_sync(lambda: thumbnails(records, missing)) if missing else {}
    thumbs: list[bytes | None] = []
    issues: list[ImportIssue] = []
    for index in indexes:
        if index is None:
            thumbs.append(None)
            continue
        thumb = prepared.get(index) or made[index]
        if thumb.problem:
            issues.append(ImportIssue(records[index].line, thumb.problem))
        thumbs.append(thumb.jpeg)
    return thumbs, issues


async def apply_import(
    user: UserInfo,
    result: ParseResult,
    plan: ImportPlan,
    now: dt.datetime,
    progress: Progress | None = None,
    prepared: Photos | None = None,
    new_ids: list[int] | None = None,
) -> dict[str, int]:
    """Persist `plan` (the caller holds the write transaction): its writes, the same list the
    in-memory applier of the idempotence properties consumes. `prepared` holds the thumbnails
    `prepare_photos` made before the transaction; `new_ids` receives the inserted contacts' ids
    (in `plan.creates` order)."""
    records = result.contacts
    writes = writes_of(plan)
    photos, photo_issues = await _photos(writes, records, prepared or {})
    connections: list[tuple[Ref, dt.datetime]] = []
    for index, ref in writes.landed:
        at = _connected_at(records[index])
        if at is not None and at <= now:
            connections.append((ref, at))
    added = await execute_writes(
        user.id,
        writes,
        photos=photos,
        connections=connections,
        now=now,
        progress=progress,
        new_ids=new_ids,
    )
    result.issues.extend(photo_issues)
    return {**plan.counts, "interactions": added}
