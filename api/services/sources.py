"""Nightly import sources: a folder (the newest export in it) or an https URL (api/outbound.py).

A source that fails records its error and leaves the data alone; an unchanged URL (ETag or
Last-Modified) or an unchanged file (same bytes) is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio

from api import outbound
from api.errors import BadRequest, NotFound
from api.outbound import OutboundPolicy
from api.schemas import SourceOut
from api.services import dav_sources, dav_sync
from api.services.import_stream import Chunks, file_chunks
from api.services.imports import ImportReport, import_file
from api.services.users import UserInfo
from api.store import import_runs
from api.store import sources as store
from pipeline.formats.dispatch import FORMAT_CHOICES

EXPORT_SUFFIXES = {".vcf", ".vcard", ".csv", ".ics", ".ical"}


SourceInfo = SourceOut  # what the service returns is what the API serves


class SourceError(Exception):
    """A source could not be read: recorded on the source, the data is untouched."""


async def check_location(
    kind: str, location: str, roots: list[Path] | None = None, policy: OutboundPolicy | None = None
) -> str:
    """A source's location, refused when it points outside `roots` or at an internal address."""
    location = location.strip()
    if kind == "folder":
        if not location:
            raise BadRequest("a folder source needs a folder path")
        if roots is not None and not inside(Path(location), roots):
            allowed = ", ".join(str(r) for r in roots)
            raise BadRequest(f"a folder source must be inside {allowed} (KITH_SOURCE_ROOTS)")
        return location
    if kind == "url":
        scheme = urlsplit(location).scheme
        try:
            await outbound.check_url(policy or outbound.current_policy(), location)
        except outbound.OutboundError as exc:
            if scheme != "https" and exc.kind == "not-allowed":
                raise BadRequest(
                    "a URL source must be https:// (plain http only for KITH_SOURCE_ALLOW_HOSTS)"
                ) from None
            raise BadRequest(f"this URL cannot be a source: {exc.user_message}") from None
        return location
    raise BadRequest("kind must be 'folder', 'url', 'carddav' or 'caldav'")


def inside(path: Path, roots: list[Path]) -> bool:
    """Whether `path`, links resolved, is one of `roots` or below one."""
    resolved = path.expanduser().resolve()
    return any(resolved == r or r in resolved.parents for r in (r.resolve() for r in roots))


async def create_source(
    user_id: int,
    kind: str,
    location: str,
    fmt: str = "auto",
    label: str = "",
    roots: list[Path] | None = None,
    *,
    username: str | None = None,
    password: str | None = None,
    collections: list[str] | None = None,
) -> SourceInfo:
    """`roots` confines folder sources (the API always passes the user's roots). CardDAV and
    CalDAV sources take an account and optionally the collections to sync (api/services/
    dav_sources.py)."""
    which = dav_sources.dav_kind(kind)
    if which is not None:
        source_id = await dav_sources.create_dav_source(
            user_id, which, location, username, password, label, collections
        )
        return await get_source(user_id, source_id)
    if fmt not in FORMAT_CHOICES:
        raise BadRequest(f"format must be one of {', '.join(FORMAT_CHOICES)}")
    location = await check_location(kind, location, roots)
    source_id = await store.insert_source(user_id, kind, location, fmt, label or location)
    return await get_source(user_id, source_id)


async def get_source(user_id: int, source_id: int) -> SourceInfo:
    info = await store.find_source(user_id, source_id)
    if info is None:
        raise NotFound("no such source")
    return info


async def update_source(
    user_id: int, source_id: int, *, label: str | None = None, password: str | None = None
) -> SourceInfo:
    source = await get_source(user_id, source_id)
    if password is not None:
        await dav_sources.set_password(source, password)
    if label is not None:
        await store.set_label(source_id, label.strip() or source.location)
    return await get_source(user_id, source_id)


async def list_sources(user_id: int) -> list[SourceInfo]:
    return await store.list_sources(user_id)


async def delete_source(user_id: int, source_id: int) -> None:
    await get_source(user_id, source_id)
    await store.delete_source(source_id)


def newest_export(folder: Path, roots: list[Path] | None = None) -> Path:
    """The newest export file in `folder`. Links are skipped and every candidate must resolve
    inside `roots` (default: the folder itself), so a link a sync tool or another user left in
    the folder never imports somebody else's file."""
    if not folder.is_dir():
        raise SourceError(f"folder {folder} does not exist or is not a folder")
    allowed = roots if roots is not None else [folder.resolve()]
    files = [
        p
        for p in folder.iterdir()
        if p.suffix.lower() in EXPORT_SUFFIXES
        and not p.is_symlink()
        and p.is_file()
        and inside(p, allowed)
    ]
    if not files:
        raise SourceError(f"no .vcf, .csv or .ics export in {folder}")
    return max(files, key=lambda p: (p.stat().st_mtime, p.name))


def _fingerprint(raw: bytes | Chunks) -> str:
    """SHA-256 of the file's bytes (read a chunk at a time when it is a stored file)."""
    if isinstance(raw, bytes):
        return hashlib.sha256(raw).hexdigest()
    digest = hashlib.sha256()
    for chunk in raw():
        digest.update(chunk)
    return digest.hexdigest()


async def fetch_url(
    row: dict[str, Any], policy: OutboundPolicy | None = None
) -> tuple[bytes | None, str | None, str | None]:
    """(body or None when unchanged, etag, last_modified), through the guarded client: checked
    addresses and redirects, one deadline, one size limit, generic errors (api/outbound.py)."""
    headers = {"User-Agent": "Kith nightly import"}
    if row["etag"]:
        headers["If-None-Match"] = row["etag"]
    if row["last_modified"]:
        headers["If-Modified-Since"] = row["last_modified"]
    try:
        response = await outbound.fetch(
            policy or outbound.current_policy(), row["location"], headers
        )
    except outbound.OutboundError as exc:
        raise SourceError(exc.user_message) from None
    if response.status == 304:
        return None, row["etag"], row["last_modified"]
    if response.status != 200:
        raise SourceError(outbound.MESSAGES["http-error"])
    return response.content, response.headers.get("etag"), response.headers.get("last-modified")


async def run_source(
    user: UserInfo,
    source_id: int,
    now: dt.datetime,
    roots: list[Path] | None = None,
    run_id: int | None = None,
    *,
    nightly_run: int | None = None,
) -> ImportReport:
    """Import one source now. Errors become a failed ImportRun and the source's last_error.
    `run_id`: the queued ImportRun a "run now" job takes over (api/services/background.py), or
    the one a dead nightly attempt left unfinished; `nightly_run`: the nightly attempt running
    this source, recorded on its ImportRun (a retry of the job finds it there, issue 16)."""
    row = await store.find_source_row(user.id, source_id)
    if row is None:
        raise NotFound("no such source")
    if dav_sources.dav_kind(row.kind) is not None:
        return await dav_sync.run_dav_source(user, row, now, run_id, nightly_run=nightly_run)
    if run_id is not None and nightly_run is not None:
        # A dead attempt's unfinished run, now this attempt's, whichever way this one ends.
        await import_runs.claim_run(run_id, row.label, row.label, now, nightly_run=nightly_run)

    async def record(status: str, error: str | None) -> ImportReport:
        if run_id is None:
            return await import_runs.record_run(
                user.id, source_id, row.label, status, error, now, nightly_run=nightly_run
            )
        return await import_runs.finish_run(
            run_id, status=status, fmt=None, counts={}, issues=[], error=error, now=now
        )

    validators: tuple[str | None, str | None] | None = None
    try:
        if row.kind == "folder":
            if roots is not None and not inside(Path(row.location), roots):
                raise SourceError(f"{row.location} is outside the allowed source folders")
            path = newest_export(Path(row.location).expanduser())
            raw: bytes | Chunks | None = file_chunks(path)
            filename = path.name
        else:
            request = {
                "location": row.location,
                "etag": row.etag,
                "last_modified": row.last_modified,
            }
            body, etag, modified = await fetch_url(request)
            raw, filename = body, urlsplit(row.location).path.rsplit("/", 1)[-1] or "download"
            validators = (etag, modified)
        fingerprint = (
            await anyio.to_thread.run_sync(_fingerprint, raw)
            if raw is not None
            else row.last_fingerprint
        )
        if raw is None or fingerprint == row.last_fingerprint:
            await store.record_source_run(
                source_id, at=now, status="unchanged", error=None, validators=validators
            )
            return await record("skipped", None)
        report = await import_file(
            user,
            raw,
            filename=filename,
            now=now,
            fmt=row.format,
            import_source_id=source_id,
            full_export=row.full_export,
            run_id=run_id,
            nightly_run=nightly_run,
        )
    except (SourceError, OSError) as exc:
        message = str(exc) if isinstance(exc, SourceError) else f"cannot read: {exc}"
        await store.record_source_run(
            source_id, at=now, status="failed", error=message, validators=validators
        )
        return await record("failed", message)
    await store.record_source_run(
        source_id,
        at=now,
        status=report.status,
        error=report.error,
        validators=validators,
        fingerprint=fingerprint if report.status == "ok" else None,
    )
    return report
