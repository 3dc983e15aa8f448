"""Importing an export file: parse (pipeline), match (pipeline), persist in ONE transaction.

A failed import leaves the database as it was; the ImportRun row records what happened either way.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Iterable
from pathlib import PurePath
from typing import TypeVar

import anyio

from api.db import read_transaction, write_transaction
from api.errors import NotFound
from api.schemas import ImportReportOut, IssueOut
from api.services import merges, strength
from api.services.heap import full_collections_held, parsed_heap_frozen
from api.services.import_apply import Photos, apply_import, thumbnails
from api.services.import_plan import plan_records, remember
from api.services.import_stream import Chunks, Outcome, batched_chunks, import_batches
from api.services.parser_identity import parser_identity
from api.services.users import UserInfo
from api.store import import_runs, nightly_runs
from api.store.book import key_values, load_existing
from api.store.imports import Progress, StalePlan
from pipeline.formats.dispatch import parse_export
from pipeline.formats.stream import BATCH_CARDS, BatchReader, split_pieces, vcard_format
from pipeline.identity.match import card_keys, probably_new
from pipeline.limits import bounded_key, clip_records
from pipeline.models import ImportIssue, ParseResult, UnreadableFile

__all__ = [
    "ImportReport",
    "Progress",
    "apply_import",
    "import_file",
    "import_records",
    "load_existing",
]

# Merge suggestions right after a small import (the user is looking); after a bulk import they
# are left to the nightly job, which runs them over the whole address book anyway.
SUGGEST_AFTER_IMPORT_MAX = 2_000
SOURCE_NAME_MAX = 120  # of contact.source's 200; the namespace starts every uid key
# A plan goes stale only when a writer that does not take the user's lock changes the keys
# between the plan and its writes; a few fresh tries settle it, more means something is wrong.
PLAN_ATTEMPTS = 3
# Key values looked up one IN list at a time up to this many; beyond, all of them in one read.
KEY_LOOKUP_MAX = 20_000
COUNT_KEYS = ("new", "updated", "unchanged", "archived", "skipped", "interactions")
T = TypeVar("T")
ImportReport = ImportReportOut  # what an import returns is what the API serves


def source_name(fmt: str, filename: str, import_source_id: int | None) -> str:
    """Which 'source' a file is, for uid namespaces and archiving (DESIGN.md section 4).

    A nightly source is itself; an uploaded file is its format plus its name, so re-importing a
    newer `contacts.vcf` archives the cards it no longer has, while another file never does.
    """
    if import_source_id is not None:
        return f"source:{import_source_id}"
    family = "vcard" if fmt.startswith("vcard") else fmt
    # A long name is shortened with a hash of all of it: the namespace fits contact.source and
    # leaves room in contact_key.value, and two long names never share one.
    return bounded_key(f"file:{family}:", PurePath(filename).name.casefold(), SOURCE_NAME_MAX)


async def prepare_photos(user: UserInfo, result: ParseResult, *, source: str) -> Photos:
    """Thumbnails for the contacts this file will most likely insert, made in a worker thread
    BEFORE the write transaction opens (an import holds SQLite's write lock for every user).

    Existing contacts never take a photo from an import, so only records none of the user's
    keys claims are thumbnailed (a re-import thumbnails nothing); an insert the plan makes
    under the lock that this forecast missed is thumbnailed there, also in a thread.
    """
    records = result.contacts
    with_photo = [i for i, r in enumerate(records) if r.photo]
    if not with_photo:
        return {}
    claimed = {
        v
        for card in card_keys([records[i] for i in with_photo], source=source)
        for _, v in card.keys
    }
    async with read_transaction():
        # Only the keys these records claim: a large book is not read for a few photos.
        known = await key_values(user.id, claimed if len(claimed) <= KEY_LOOKUP_MAX else None)
    wanted = probably_new(records, with_photo, known, source=source)
    return await anyio.to_thread.run_sync(lambda: thumbnails(records, wanted))


async def import_records(
    user: UserInfo,
    result: ParseResult,
    *,
    filename: str,
    now: dt.datetime,
    import_source_id: int | None = None,
    full_export: bool = True,
    progress: Progress | None = None,
    photos: Photos | None = None,
) -> dict[str, int]:
    """Match and persist parsed contact records (the caller holds the write transaction, with
    the user's lock: the book is loaded, planned and written under it); `photos` from
    `prepare_photos`, called before the transaction opened.

    Cards the last import of this source saw, onto contacts nobody touched since, are not
    planned at all (pipeline.identity.unchanged): they count as unchanged."""
    source = source_name(result.format, filename, import_source_id)
    planned = await plan_records(user.id, result.contacts, source=source, full_export=full_export)
    result.issues.extend(planned.plan.issues)
    new_ids: list[int] = []
    counts = await apply_import(user, result, planned.plan, now, progress, photos, new_ids)
    await remember(user.id, source, result.contacts, planned, new_ids)
    return counts


def _issues(path: str, issues: Iterable[ImportIssue]) -> list[IssueOut]:
    return [IssueOut(line=i.line, message=i.message, file=path) for i in issues]


async def import_file(
    user: UserInfo,
    raw: bytes | Chunks,
    *,
    filename: str,
    now: dt.datetime,
    fmt: str = "auto",
    region: str | None = None,
    import_source_id: int | None = None,
    full_export: bool = True,
    progress: Progress | None = None,
    fail_after_rows: int | None = None,
    run_id: int | None = None,
    nightly_run: int | None = None,
    batch_cards: int | None = None,
) -> ImportReport:
    """Parse, match and persist one file; the report says what changed and every issue.

    `raw`: the file's bytes, or a way to read it in chunks (from its start, each time it is
    called). A vCard export of more than `batch_cards` (BATCH_CARDS) cards is imported a batch at a time
    (api/services/import_stream.py: bounded memory); any other file whole, as its bytes.

    `fail_after_rows` injects a failure after that many records were written (tests prove the
    database is left as it was). `run_id`: the queued ImportRun a background job takes over
    (api/services/background.py), or the one a dead nightly attempt left unfinished, instead of
    starting one; `nightly_run`: the nightly attempt running this import (issue 16).
    """
    if run_id is None:
        run_id = await import_runs.start_run(
            user.id,
            import_source_id,
            filename,
            PurePath(filename).name,
            now,
            nightly_run=nightly_run,
        )
    else:
        await import_runs.claim_run(
            run_id, filename, PurePath(filename).name, now, nightly_run=nightly_run
        )
    batch_cards = batch_cards or BATCH_CARDS
    chunks = batched_chunks(raw, fmt, batch_cards)
    if chunks is not None:
        del raw
        return await _import_batched(
            user,
            chunks,
            run_id,
            filename=filename,
            now=now,
            region=region or user.region,
            import_source_id=import_source_id,
            full_export=full_export,
            progress=progress,
            fail_after_rows=fail_after_rows,
            batch_cards=batch_cards,
        )
    if not isinstance(raw, bytes):
        raw = b"".join(raw())
    parse = functools.partial(
        parse_export,
        raw,
        region=region or user.region,
        fmt=fmt,
        own_emails=frozenset(user.own_emails),
        # Past meetings older than three years add nothing to a decaying score; future ones
        # matter only inside the scheduler's horizon.
        calendar_window=(now - dt.timedelta(days=3 * 365), now + dt.timedelta(days=90)),
        zone=strength.tz_of(user),
    )
    del raw  # held by `parse` alone: once parsed, a caller that let go of the bytes frees them
    try:
        result = await anyio.to_thread.run_sync(parse)
    except UnreadableFile as exc:
        return await _finish(run_id, "failed", None, {}, [], f"{filename}: {exc}", now)
    finally:
        del parse
    result.contacts, clipped = clip_records(result.contacts)
    result.issues.extend(clipped)
    parsed_issues = list(result.issues)
    photos: Photos | None = None

    async def attempt() -> dict[str, int]:
        result.issues[:] = parsed_issues  # a retried plan adds its own issues afresh
        # The lock is the transaction's first statement: a concurrent import of this user's
        # waits here and then plans against what this one committed (issue 16).
        async with write_transaction(lock_user=user.id):
            if result.interactions is not None:
                # Loaded here: a contacts import (most of them) needs none of the calendar code.
                from api.services import meetings

                counts = await meetings.apply_calendar(user, result, now)
                if fail_after_rows is not None:
                    raise RuntimeError("injected failure")
            else:
                counts = await import_records(
                    user,
                    result,
                    filename=filename,
                    now=now,
                    import_source_id=import_source_id,
                    full_export=full_export,
                    progress=progress,
                    photos=photos,
                )
                if fail_after_rows is not None and counts["new"] >= fail_after_rows:
                    raise RuntimeError("injected failure after writing rows")
            # The run is finished in the import's own transaction: committed data always has
            # its finished ImportRun, so a nightly retry after a dead worker never imports it
            # as a second run (issue 16). A rescoring failure afterwards rewrites it as failed.
            issues = _issues(filename, sorted(result.issues, key=lambda i: i.line))
            await _finish(run_id, "ok", result.format, counts, issues, None, now)
            return counts

    try:
        with parsed_heap_frozen():
            if result.interactions is None:
                source = source_name(result.format, filename, import_source_id)
                photos = await prepare_photos(user, result, source=source)
            counts = await until_fresh(attempt)
    except Exception as exc:
        message = (
            f"{filename}: the import failed and nothing was changed ({type(exc).__name__}: {exc})"
        )
        issues = _issues(filename, result.issues)
        return await _finish(run_id, "failed", result.format, {}, issues, message, now)
    issues = _issues(filename, sorted(result.issues, key=lambda i: i.line))
    return await _afterwards(user, run_id, result.format, counts, issues, filename, now)


async def _import_batched(
    user: UserInfo,
    chunks: Chunks,
    run_id: int,
    *,
    filename: str,
    now: dt.datetime,
    region: str | None,
    import_source_id: int | None,
    full_export: bool,
    progress: Progress | None,
    fail_after_rows: int | None,
    batch_cards: int,
) -> ImportReport:
    """`import_file` of a large vCard export: every batch in the import's one transaction."""
    source = source_name("vcard", filename, import_source_id)
    seen = Outcome("vcard", {}, [])  # what the last attempt found, for a failure's report

    async def attempt() -> Outcome:
        seen.issues.clear()
        seen.versions.clear()
        async with write_transaction(lock_user=user.id):
            reader = BatchReader(region, parser_identity(region))
            outcome = await import_batches(
                user,
                split_pieces(chunks(), batch_cards),
                reader,
                source=source,
                now=now,
                full_export=full_export,
                progress=progress,
                fail_after_rows=fail_after_rows,
                seen=seen,
            )
            issues = _issues(filename, sorted(outcome.issues, key=lambda i: i.line))
            await _finish(run_id, "ok", outcome.format, outcome.counts, issues, None, now)
            return outcome

    try:
        # Full collections wait here too: a batch's records and plan are few, but each full
        # pass walks every object alive, and the batches made 21 of them (a sixth of a
        # 50,000-card first import). Young collections still run, less often.
        with full_collections_held():
            outcome = await until_fresh(attempt)
    except Exception as exc:
        message = (
            f"{filename}: the import failed and nothing was changed ({type(exc).__name__}: {exc})"
        )
        # The issues the batches found before the failure, and the format of the cards read.
        fmt = vcard_format(seen.versions) if seen.versions else None
        found = _issues(filename, sorted(seen.issues, key=lambda i: i.line))
        return await _finish(run_id, "failed", fmt, {}, found, message, now)
    issues = _issues(filename, sorted(outcome.issues, key=lambda i: i.line))
    return await _afterwards(user, run_id, outcome.format, outcome.counts, issues, filename, now)


async def _afterwards(
    user: UserInfo,
    run_id: int,
    fmt: str,
    counts: dict[str, int],
    issues: list[IssueOut],
    filename: str,
    now: dt.datetime,
) -> ImportReport:
    """After a committed import: rescoring and merge suggestions, then the run's report."""
    try:
        if counts.get("interactions") or counts.get("archived"):
            await strength.refresh_user(user, now)
        if 0 < counts.get("new", 0) <= SUGGEST_AFTER_IMPORT_MAX:
            await merges.refresh_suggestions(user.id, now)
    except Exception as exc:
        # The import is committed: its counts stand, and the run says what did not happen.
        message = (
            f"{filename}: imported, but rescoring afterwards failed ({type(exc).__name__}: "
            f"{exc}); scores and reminders are as before the import"
        )
        return await _finish(run_id, "failed", fmt, counts, issues, message, now)
    return await import_runs.get_run(run_id)


async def until_fresh(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` (one transaction: load, plan, write) until its plan is not stale, at most
    PLAN_ATTEMPTS times; each stale try was rolled back whole."""
    for _ in range(PLAN_ATTEMPTS - 1):
        try:
            return await attempt()
        except StalePlan:
            continue
    try:
        return await attempt()
    except StalePlan:
        raise StalePlan(
            f"the address book kept changing while the import was planned "
            f"({PLAN_ATTEMPTS} tries); try again"
        ) from None


async def _finish(
    run_id: int,
    status: str,
    fmt: str | None,
    counts: dict[str, int],
    issues: list[IssueOut],
    error: str | None,
    now: dt.datetime,
) -> ImportReport:
    full = {k: counts.get(k, 0) for k in COUNT_KEYS}
    return await import_runs.finish_run(
        run_id, status=status, fmt=fmt, counts=full, issues=issues, error=error, now=now
    )


async def get_report(user_id: int, run_id: int) -> ImportReport:
    report = await import_runs.find_run(user_id, run_id)
    if report is None:
        raise NotFound("no such import")
    return report


async def list_reports(
    user_id: int, limit: int = 50, now: dt.datetime | None = None
) -> list[ImportReport]:
    if now is not None:  # a run its process left "running" reads as interrupted, not forever
        await nightly_runs.close_stale_import_runs(now - nightly_runs.DEADLINE, now, user_id)
    return await import_runs.list_runs(user_id, limit)


def report_json(report: ImportReport) -> dict[str, object]:
    """The report as `kith import --json` prints it (the shape of the former dataclass: issues
    as `file, line, message` objects, datetimes left to the printer)."""
    return {
        "id": report.id,
        "filename": report.filename,
        "format": report.format,
        "status": report.status,
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "counts": report.counts,
        "issues": [{"file": i.file, "line": i.line, "message": i.message} for i in report.issues],
        "error": report.error,
    }
