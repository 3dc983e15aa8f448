"""Importing an export file: parse (pipeline), match (pipeline), persist in ONE transaction.

A failed import leaves the database as it was; the ImportRun row records what happened either way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import anyio

from api.db import write_transaction
from api.db.bulk import fetch_tuples, insert_many
from api.db.tables import Contact, ContactKey, ImportRun, Interaction, MergeSuggestion
from api.jsonutil import dump, load_dict, load_list
from api.services.photos import thumbnail
from api.services.users import UserInfo
from pipeline.formats.dispatch import parse_export
from pipeline.identity.match import ExistingContact, ImportPlan, plan_import
from pipeline.models import ContactRecord, ImportIssue, ParseResult, UnreadableFile

# Merge suggestions right after a small import (the user is looking); after a bulk import they
# are left to the nightly job, which runs them over the whole address book anyway.
SUGGEST_AFTER_IMPORT_MAX = 2_000
COUNT_KEYS = ("new", "updated", "unchanged", "archived", "skipped", "interactions")
_SCALARS = (
    "full_name",
    "given_name",
    "family_name",
    "nickname",
    "organization",
    "title",
    "birthday",
    "note",
)
_LISTS = ("emails", "phones", "urls", "groups")
Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    id: int
    filename: str
    format: str | None
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    counts: dict[str, int] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def source_name(fmt: str, filename: str, import_source_id: int | None) -> str:
    """Which 'source' a file is, for uid namespaces and archiving (DESIGN.md section 4).

    A nightly source is itself; an uploaded file is its format plus its name, so re-importing a
    newer `contacts.vcf` archives the cards it no longer has, while another file never does.
    """
    if import_source_id is not None:
        return f"source:{import_source_id}"
    family = "vcard" if fmt.startswith("vcard") else fmt
    return f"file:{family}:{PurePath(filename).name.casefold()}"


async def load_existing(user_id: int) -> list[ExistingContact]:
    """Every contact with its keys, as the matcher sees them (call inside the transaction).

    Plain tuples from the driver: for a 50,000-contact book, a dict per row was most of the cost.
    """
    names = [*_SCALARS, *_LISTS]
    cols = ", ".join(f'"{n}"' for n in names)
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
    scalars = len(_SCALARS)
    out = []
    for r in rows:
        ks = by_contact.get(r[0], {})
        fields: dict[str, object] = {n: r[1 + i] or None for i, n in enumerate(_SCALARS)}
        for i, n in enumerate(_LISTS):
            text = r[1 + scalars + i]
            fields[n] = load_list(text) if text and text != "[]" else []
        edited = r[1 + len(names)]
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
                archived=bool(r[2 + len(names)]),
                source=r[3 + len(names)],
            )
        )
    return out


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _column_values(values: dict[str, object]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in _LISTS:
            out[name] = dump(list(value) if isinstance(value, list) else [])
        elif name in _SCALARS:
            out[name] = value if value is not None else ("" if name == "full_name" else None)
    return out


def _connected_at(record: ContactRecord) -> dt.datetime | None:
    if not record.connected_on:
        return None
    try:
        day = dt.date.fromisoformat(record.connected_on[:10])
    except ValueError:
        return None
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


async def apply_import(
    user: UserInfo,
    result: ParseResult,
    plan: ImportPlan,
    now: dt.datetime,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Persist `plan` (the caller holds the write transaction)."""
    records = result.contacts
    issues = list(plan.issues)
    # Creates: one executemany, then the new ids in insertion order (this transaction holds the
    # write lock on SQLite; on PostgreSQL the (user, source, created_at) filter is ours alone).
    photo_issues: list[ImportIssue] = []
    columns = [
        *_SCALARS,
        *_LISTS,
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
    ]
    rows: list[list[Any]] = []
    for create in plan.creates:
        photo = next((records[i].photo for i in create.records if records[i].photo), None)
        thumb = thumbnail(photo) if photo else None
        if photo and thumb is None:
            line = records[create.records[0]].line
            photo_issues.append(ImportIssue(line, "the photo is not a readable image: skipped"))
        cells = _column_values({n: create.fields.get(n) for n in (*_SCALARS, *_LISTS)})
        rows.append(
            [
                *(cells[n] for n in (*_SCALARS, *_LISTS)),
                user.id,
                thumb,
                plan.source,
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
        .where(Contact.user == user.id)
        .order_by(Contact.id, ascending=False)
        .first()
        .run()
    )
    done = 0
    for chunk in _chunks(rows, 5000):
        await insert_many(Contact, columns, chunk)
        done += len(chunk)
        if progress:
            progress("saving", done, len(rows))
    create_ids: list[int] = []
    if rows:
        got = (
            await Contact.select(Contact.id)
            .where(
                (Contact.user == user.id)
                & (Contact.id > (before["id"] if before else 0))
                & (Contact.source == plan.source)
                & (Contact.created_at == now)
            )
            .order_by(Contact.id)
            .run()
        )
        create_ids = [int(r["id"]) for r in got]
        if len(create_ids) != len(rows):
            raise RuntimeError("could not read back the ids of the new contacts")
    key_rows: list[tuple[Any, ...]] = [
        (user.id, cid, k.kind, k.value)
        for create, cid in zip(plan.creates, create_ids, strict=True)
        for k in create.keys
    ]
    for update in plan.updates:
        values: dict[Any, Any] = {
            Contact._meta.get_column_by_name(n): v
            for n, v in _column_values(dict(update.changes)).items()
        }
        if update.unarchive:
            values[Contact.archived] = False
        if values:
            values[Contact.updated_at] = now
            await Contact.update(values).where(Contact.id == update.contact_id).run()
        key_rows.extend((user.id, update.contact_id, k.kind, k.value) for k in update.add_keys)
    await insert_many(
        ContactKey, ["user", "contact", "kind", "value"], key_rows, ignore_conflicts=True
    )
    for chunk in _chunks(list(plan.archives), 500):
        await (
            Contact.update({Contact.archived: True, Contact.updated_at: now})
            .where(Contact.id.is_in(chunk))
            .run()
        )
    # LinkedIn's `Connected On` becomes one past interaction (it counts in the score).
    contact_of_record: dict[int, int] = {}
    for m in plan.matches:
        if m.contact_id is not None:
            contact_of_record[m.record] = m.contact_id
        elif m.create is not None:
            contact_of_record[m.record] = create_ids[m.create]
    interactions = []
    for index, record in enumerate(records):
        at = _connected_at(record)
        cid = contact_of_record.get(index)
        if at is None or cid is None or at > now:
            continue
        interactions.append(
            Interaction(
                user=user.id,
                contact=cid,
                kind="connected",
                at=at,
                source="import",
                dedup_key=f"connected:{cid}",
                created_at=now,
            )
        )
    added = 0
    for chunk in _chunks(interactions, 500):
        got = (
            await Interaction.insert(*chunk)
            .on_conflict(action="DO NOTHING")
            .returning(Interaction.id)
            .run()
        )
        added += len(got)
    for s in plan.suggestions:
        exists = (
            await MergeSuggestion.exists()
            .where(
                (MergeSuggestion.user == user.id)
                & (MergeSuggestion.contact_a == s.a)
                & (MergeSuggestion.contact_b == s.b)
            )
            .run()
        )
        if not exists:
            await MergeSuggestion.insert(
                MergeSuggestion(
                    user=user.id,
                    contact_a=s.a,
                    contact_b=s.b,
                    score=s.score,
                    reason=s.reason,
                    changed_at=now,
                )
            ).run()
    issues.extend(photo_issues)
    result.issues.extend(photo_issues)
    return {
        "new": len(plan.creates),
        "updated": len(plan.updates),
        "unchanged": len(plan.unchanged),
        "archived": len(plan.archives),
        "skipped": len(plan.skipped),
        "interactions": added,
    }


def _issues_json(path: str, issues: Iterable[ImportIssue]) -> list[dict[str, Any]]:
    return [{"file": path, "line": i.line, "message": i.message} for i in issues]


async def import_file(
    user: UserInfo,
    raw: bytes,
    *,
    filename: str,
    now: dt.datetime,
    fmt: str = "auto",
    region: str | None = None,
    import_source_id: int | None = None,
    full_export: bool = True,
    progress: Progress | None = None,
    fail_after_rows: int | None = None,
) -> ImportReport:
    """Parse, match and persist one file; the report says what changed and every issue.

    The cyclic garbage collector is paused meanwhile: a large import allocates hundreds of
    thousands of small acyclic objects, and generation scans were a tenth of its time.

    `fail_after_rows` injects a failure after that many records were written (tests prove the
    database is left as it was).
    """
    run = (
        await ImportRun.insert(
            ImportRun(
                user=user.id,
                import_source=import_source_id,
                source=filename,
                filename=PurePath(filename).name,
                status="running",
                started_at=now,
            )
        )
        .returning(ImportRun.id)
        .run()
    )
    run_id = int(run[0]["id"])
    try:
        result = await anyio.to_thread.run_sync(
            lambda: parse_export(
                raw,
                region=region or user.region,
                fmt=fmt,
                own_emails=frozenset(user.own_emails),
                # Past meetings older than three years add nothing to a decaying score; future
                # ones matter only inside the scheduler's horizon.
                calendar_window=(now - dt.timedelta(days=3 * 365), now + dt.timedelta(days=90)),
            )
        )
    except UnreadableFile as exc:
        return await _finish(run_id, "failed", None, {}, [], f"{filename}: {exc}", now)
    try:
        if result.interactions is not None:
            from api.services.calendar import apply_calendar

            async with write_transaction():
                counts = await apply_calendar(user, result, now)
                if fail_after_rows is not None:
                    raise RuntimeError("injected failure")
        else:
            async with write_transaction():
                existing = await load_existing(user.id)
                source = source_name(result.format, filename, import_source_id)
                plan = await anyio.to_thread.run_sync(
                    lambda: plan_import(
                        result.contacts, existing, source=source, full_export=full_export
                    )
                )
                result.issues.extend(plan.issues)
                counts = await apply_import(user, result, plan, now, progress)
                if fail_after_rows is not None and counts["new"] >= fail_after_rows:
                    raise RuntimeError("injected failure after writing rows")
    except Exception as exc:
        message = (
            f"{filename}: the import failed and nothing was changed ({type(exc).__name__}: {exc})"
        )
        issues = _issues_json(filename, result.issues)
        return await _finish(run_id, "failed", result.format, {}, issues, message, now)
    if counts.get("interactions") or counts.get("archived"):
        from api.services.strength import refresh_user

        await refresh_user(user, now)
    if 0 < counts.get("new", 0) <= SUGGEST_AFTER_IMPORT_MAX:
        from api.services.merges import refresh_suggestions

        await refresh_suggestions(user.id, now)
    issues = _issues_json(filename, sorted(result.issues, key=lambda i: i.line))
    return await _finish(run_id, "ok", result.format, counts, issues, None, now)


async def _finish(
    run_id: int,
    status: str,
    fmt: str | None,
    counts: dict[str, int],
    issues: list[dict[str, Any]],
    error: str | None,
    now: dt.datetime,
) -> ImportReport:
    full = {k: counts.get(k, 0) for k in COUNT_KEYS}
    await (
        ImportRun.update(
            {
                ImportRun.status: status,
                ImportRun.format: fmt,
                ImportRun.counts: dump(full),
                ImportRun.issues: dump(issues),
                ImportRun.error: error,
                ImportRun.finished_at: now,
            }
        )
        .where(ImportRun.id == run_id)
        .run()
    )
    return await get_report_by_id(run_id)


async def get_report_by_id(run_id: int) -> ImportReport:
    row = await ImportRun.select().where(ImportRun.id == run_id).first().run()
    assert row is not None
    return _report(row)


def _report(row: dict[str, Any]) -> ImportReport:
    return ImportReport(
        id=row["id"],
        filename=row["filename"],
        format=row["format"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        counts={k: int(v) for k, v in load_dict(row["counts"]).items()},
        issues=load_list(row["issues"]),
        error=row["error"],
    )


async def get_report(user_id: int, run_id: int) -> ImportReport:
    from api.errors import NotFound

    row = (
        await ImportRun.select()
        .where((ImportRun.id == run_id) & (ImportRun.user == user_id))
        .first()
        .run()
    )
    if row is None:
        raise NotFound("no such import")
    return _report(row)


async def list_reports(user_id: int, limit: int = 50) -> list[ImportReport]:
    rows = (
        await ImportRun.select()
        .where(ImportRun.user == user_id)
        .order_by(ImportRun.id, ascending=False)
        .limit(limit)
        .run()
    )
    return [_report(r) for r in rows]
