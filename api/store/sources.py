"""Import sources (a folder or a URL imported every night); the nightly runs are in nightly_runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from api.db import fits
from api.db.tables import ImportSource
from api.schemas import SourceOut


@dataclass(frozen=True)
class SourceRow:
    """A source with what the nightly job remembers between runs."""

    id: int
    kind: str
    location: str
    format: str
    label: str
    full_export: bool
    etag: str | None
    last_modified: str | None
    last_fingerprint: str | None


def _out(row: dict[str, Any]) -> SourceOut:
    return SourceOut(
        id=row["id"],
        kind=row["kind"],
        location=row["location"],
        format=row["format"],
        label=row["label"],
        last_run_at=row["last_run_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
    )


async def insert_source(user_id: int, kind: str, location: str, fmt: str, label: str) -> int:
    row = (
        await ImportSource.insert(
            ImportSource(user=user_id, kind=kind, location=location, format=fmt, label=label)
        )
        .returning(ImportSource.id)
        .run()
    )
    return int(row[0]["id"])


async def _row(user_id: int, source_id: int) -> dict[str, Any] | None:
    return (
        await ImportSource.select()
        .where((ImportSource.id == source_id) & (ImportSource.user == user_id))
        .first()
        .run()
    )


async def find_source(user_id: int, source_id: int) -> SourceOut | None:
    row = await _row(user_id, source_id)
    return None if row is None else _out(row)


async def find_source_row(user_id: int, source_id: int) -> SourceRow | None:
    row = await _row(user_id, source_id)
    if row is None:
        return None
    return SourceRow(
        id=row["id"],
        kind=row["kind"],
        location=row["location"],
        format=row["format"],
        label=row["label"],
        full_export=bool(row["full_export"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_fingerprint=row["last_fingerprint"],
    )


async def list_sources(user_id: int) -> list[SourceOut]:
    rows = (
        await ImportSource.select()
        .where(ImportSource.user == user_id)
        .order_by(ImportSource.id)
        .run()
    )
    return [_out(r) for r in rows]


async def delete_source(source_id: int) -> None:
    await ImportSource.delete().where(ImportSource.id == source_id).run()


async def record_source_run(
    source_id: int,
    *,
    at: dt.datetime,
    status: str,
    error: str | None,
    validators: tuple[str | None, str | None] | None = None,
    fingerprint: str | None = None,
) -> None:
    """What one run of the source left: `validators` (ETag, Last-Modified) when it was fetched,
    `fingerprint` when its bytes were imported; either left as it was when None."""
    values: dict[Any, Any] = {
        ImportSource.last_run_at: at,
        ImportSource.last_status: status,
        ImportSource.last_error: error,
    }
    if validators is not None:
        # A validator too long for its column is not kept (a cut one would never match).
        etag, modified = validators
        values[ImportSource.etag] = etag if fits(ImportSource.etag, etag) else None
        values[ImportSource.last_modified] = (
            modified if fits(ImportSource.last_modified, modified) else None
        )
    if fingerprint is not None:
        values[ImportSource.last_fingerprint] = fingerprint
    await ImportSource.update(values).where(ImportSource.id == source_id).run()
