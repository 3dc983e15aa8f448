"""Nightly import sources: a folder (the newest export in it) or an https URL fetched with httpx.

A source that fails records its error and leaves the data alone; an unchanged URL (ETag or
Last-Modified) or an unchanged file (same bytes) is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from api.errors import BadRequest, NotFound
from api.schemas import SourceOut
from api.services.imports import ImportReport, import_file
from api.services.users import UserInfo
from api.store import import_runs
from api.store import sources as store
from pipeline.formats.dispatch import FORMAT_CHOICES

EXPORT_SUFFIXES = {".vcf", ".vcard", ".csv", ".ics", ".ical"}
FETCH_TIMEOUT_S = 30.0
MAX_FETCH_BYTES = 20 * 1024 * 1024
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


SourceInfo = SourceOut  # what the service returns is what the API serves


class SourceError(Exception):
    """A source could not be read: recorded on the source, the data is untouched."""


def check_location(kind: str, location: str, roots: list[Path] | None = None) -> str:
    location = location.strip()
    if kind == "folder":
        if not location:
            raise BadRequest("a folder source needs a folder path")
        if roots is not None and not inside(Path(location), roots):
            allowed = ", ".join(str(r) for r in roots)
            raise BadRequest(f"a folder source must be inside {allowed} (KITH_SOURCE_ROOTS)")
        return location
    if kind == "url":
        parts = urlsplit(location)
        if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
            return location
        raise BadRequest("a URL source must be https:// (plain http only on this machine)")
    raise BadRequest("kind must be 'folder' or 'url'")


def inside(path: Path, roots: list[Path]) -> bool:
    resolved = path.expanduser().resolve()
    return any(resolved == r or r in resolved.parents for r in roots)


async def create_source(
    user_id: int,
    kind: str,
    location: str,
    fmt: str = "auto",
    label: str = "",
    roots: list[Path] | None = None,
) -> SourceInfo:
    """`roots` confines folder sources (the API always passes the user's roots)."""
    if fmt not in FORMAT_CHOICES:
        raise BadRequest(f"format must be one of {', '.join(FORMAT_CHOICES)}")
    location = check_location(kind, location, roots)
    source_id = await store.insert_source(user_id, kind, location, fmt, label or location)
    return await get_source(user_id, source_id)


async def get_source(user_id: int, source_id: int) -> SourceInfo:
    info = await store.find_source(user_id, source_id)
    if info is None:
        raise NotFound("no such source")
    return info


async def list_sources(user_id: int) -> list[SourceInfo]:
    return await store.list_sources(user_id)


async def delete_source(user_id: int, source_id: int) -> None:
    await get_source(user_id, source_id)
    await store.delete_source(source_id)


def newest_export(folder: Path) -> Path:
    if not folder.is_dir():
        raise SourceError(f"folder {folder} does not exist or is not a folder")
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES]
    if not files:
        raise SourceError(f"no .vcf, .csv or .ics export in {folder}")
    return max(files, key=lambda p: (p.stat().st_mtime, p.name))


async def fetch_url(row: dict[str, Any]) -> tuple[bytes | None, str | None, str | None]:
    """(body or None when unchanged, etag, last_modified). Conditional, bounded, timed out."""
    headers = {"User-Agent": "Kith nightly import"}
    if row["etag"]:
        headers["If-None-Match"] = row["etag"]
    if row["last_modified"]:
        headers["If-Modified-Since"] = row["last_modified"]
    try:
        async with (
            httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, follow_redirects=True) as client,
            client.stream("GET", row["location"], headers=headers) as response,
        ):
            if response.status_code == 304:
                return None, row["etag"], row["last_modified"]
            if response.status_code != 200:
                raise SourceError(f"{row['location']} answered HTTP {response.status_code}")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_FETCH_BYTES:
                    raise SourceError(f"{row['location']} is larger than {MAX_FETCH_BYTES} bytes")
                chunks.append(chunk)
            return (
                b"".join(chunks),
                response.headers.get("etag"),
                response.headers.get("last-modified"),
            )
    except httpx.TimeoutException:
        raise SourceError(
            f"{row['location']} did not answer within {FETCH_TIMEOUT_S:.0f} s"
        ) from None
    except httpx.HTTPError as exc:
        raise SourceError(f"{row['location']} is unreachable ({type(exc).__name__})") from None


async def run_source(
    user: UserInfo, source_id: int, now: dt.datetime, roots: list[Path] | None = None
) -> ImportReport:
    """Import one source now. Errors become a failed ImportRun and the source's last_error."""
    row = await store.find_source_row(user.id, source_id)
    if row is None:
        raise NotFound("no such source")
    validators: tuple[str | None, str | None] | None = None
    try:
        if row.kind == "folder":
            if roots is not None and not inside(Path(row.location), roots):
                raise SourceError(f"{row.location} is outside the allowed source folders")
            path = newest_export(Path(row.location).expanduser())
            raw: bytes | None = path.read_bytes()
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
        fingerprint = hashlib.sha256(raw).hexdigest() if raw is not None else row.last_fingerprint
        if raw is None or fingerprint == row.last_fingerprint:
            await store.record_source_run(
                source_id, at=now, status="unchanged", error=None, validators=validators
            )
            return await import_runs.record_run(user.id, source_id, row.label, "skipped", None, now)
        report = await import_file(
            user,
            raw,
            filename=filename,
            now=now,
            fmt=row.format,
            import_source_id=source_id,
            full_export=row.full_export,
        )
    except (SourceError, OSError) as exc:
        message = str(exc) if isinstance(exc, SourceError) else f"cannot read: {exc}"
        await store.record_source_run(
            source_id, at=now, status="failed", error=message, validators=validators
        )
        return await import_runs.record_run(user.id, source_id, row.label, "failed", message, now)
    await store.record_source_run(
        source_id,
        at=now,
        status=report.status,
        error=report.error,
        validators=validators,
        fingerprint=fingerprint if report.status == "ok" else None,
    )
    return report
