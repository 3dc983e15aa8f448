"""Import sources (a folder or a URL imported every night); the nightly runs are in nightly_runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec

from api.db import fits
from api.db.tables import ImportRun, ImportSource
from api.jsonutil import dump, load_dict, load_list
from api.schemas import CollectionOut, SourceOut


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
    username: str | None = None
    secret: str | None = None  # sealed (api/secrets_box.py)
    collections: tuple[CollectionOut, ...] = ()


def _collections(row: dict[str, Any]) -> list[CollectionOut]:
    return msgspec.convert(load_list(row.get("collections") or "[]"), list[CollectionOut])


def _out(row: dict[str, Any], counts: dict[str, int] | None = None) -> SourceOut:
    return SourceOut(
        id=row["id"],
        kind=row["kind"],
        location=row["location"],
        format=row["format"],
        label=row["label"],
        last_run_at=row["last_run_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        username=row.get("username"),
        password_set=bool(row.get("secret")),
        collections=_collections(row),
        last_counts=counts,
    )


async def _last_counts(source_ids: list[int]) -> dict[int, dict[str, int]]:
    """The counts of each source's newest finished import run."""
    if not source_ids:
        return {}
    rows = (
        await ImportRun.select(ImportRun.import_source, ImportRun.counts)
        .where(ImportRun.import_source.is_in(source_ids) & (ImportRun.status != "running"))
        .order_by(ImportRun.id)
        .run()
    )
    return {
        int(r["import_source"]): {k: int(v) for k, v in load_dict(r["counts"]).items()}
        for r in rows
    }


async def insert_source(
    user_id: int,
    kind: str,
    location: str,
    fmt: str,
    label: str,
    username: str | None = None,
    collections: list[CollectionOut] | None = None,
) -> int:
    row = (
        await ImportSource.insert(
            ImportSource(
                user=user_id,
                kind=kind,
                location=location,
                format=fmt,
                label=label,
                username=username,
                collections=dump(msgspec.to_builtins(collections or [])),
            )
        )
        .returning(ImportSource.id)
        .run()
    )
    return int(row[0]["id"])


async def set_label(source_id: int, label: str) -> None:
    await (
        ImportSource.update({ImportSource.label: label[:200]})
        .where(ImportSource.id == source_id)
        .run()
    )


async def set_secret(source_id: int, sealed: str | None) -> None:
    await (
        ImportSource.update({ImportSource.secret: sealed}).where(ImportSource.id == source_id).run()
    )


async def _row(user_id: int, source_id: int) -> dict[str, Any] | None:
    return (
        await ImportSource.select()
        .where((ImportSource.id == source_id) & (ImportSource.user == user_id))
        .first()
        .run()
    )


async def find_source(user_id: int, source_id: int) -> SourceOut | None:
    row = await _row(user_id, source_id)
    if row is None:
        return None
    return _out(row, (await _last_counts([source_id])).get(source_id))


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
        username=row["username"],
        secret=row["secret"],
        collections=tuple(_collections(row)),
    )


async def list_sources(user_id: int) -> list[SourceOut]:
    rows = (
        await ImportSource.select()
        .where(ImportSource.user == user_id)
        .order_by(ImportSource.id)
        .run()
    )
    counts = await _last_counts([int(r["id"]) for r in rows])
    return [_out(r, counts.get(int(r["id"]))) for r in rows]


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
