"""Nightly CardDAV sources: the changed cards of each address book go through the import
pipeline, matched by the same identity rules as every import (the card's UID, or its href when
it has none, then email, then phone), so a card never becomes a second person.

Incremental (RFC 6578): the stored sync-token asks for what changed since; a token the server
no longer knows falls back to a full listing, compared by ETag with what the last run stored, so
a resync re-reads nothing unchanged. A server without sync-collection gets an ETag listing.
Everything is read first; then ONE write transaction applies every changed card, archives the
deleted ones (pipeline/identity/gone.py) and stores the new tokens and ETags, so a failure
anywhere leaves the data and the tokens as they were, and the next run does the same work.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

import anyio

from api import outbound, secrets_box
from api.db import write_transaction
from api.schemas import CollectionOut, ImportReportOut, IssueOut
from api.services import dav_events, merges, strength
from api.services.dav_client import Account, DavError, etag_listing, multiget, sync_changes
from api.services.imports import COUNT_KEYS, apply_import, load_existing, source_name
from api.services.users import UserInfo
from api.store import import_runs
from api.store import sources as store
from api.store.sources import SourceRow
from api.store.sync_state import CollectionState, load_state, save_state
from pipeline.formats.dav.changes import Changes, compare
from pipeline.formats.dispatch import parse_export
from pipeline.identity.gone import archives_for_gone
from pipeline.identity.match import plan_import
from pipeline.models import ContactRecord, ParseResult, UnreadableFile

log = logging.getLogger("kith.dav")
ImportReport = ImportReportOut


@dataclass
class CardBatch:
    """What one address book contributes to the run, read but not yet applied."""

    collection: str
    state: CollectionState  # the state to store once everything is applied
    records: list[tuple[str, ContactRecord]]  # (member href, record)
    gone_uids: list[str]
    issues: list[IssueOut]
    refetched: int = 0


def account_of(row: SourceRow, policy: outbound.OutboundPolicy | None = None) -> Account:
    """The source's account; raises DavError "re-enter the password" when the sealed password
    does not open under the current secret key."""
    password = ""
    if row.secret:
        try:
            password = secrets_box.open_secret(row.secret, row.id)
        except secrets_box.SecretLost as exc:
            raise DavError(str(exc)) from None
    return Account(row.location, row.username or "", password, policy or outbound.current_policy())


async def _changes(account: Account, coll: CollectionOut, state: CollectionState) -> Changes:
    before = {h: etag for h, (etag, _uid) in state.members.items()}
    if coll.sync:
        changes = await sync_changes(account, coll.href, state.sync_token)
        if changes is not None and state.sync_token:
            return changes
        if changes is None:
            log.info("sync-token of a collection expired: full listing")
            changes = await sync_changes(account, coll.href, None)
        if changes is None:
            raise DavError("the server refused a sync from scratch")
        # From scratch: the answer lists every member; compare by ETag with the last run.
        full = compare(changes.changed, before)
        return Changes(full.changed, full.deleted, changes.sync_token)
    return compare(await etag_listing(account, coll.href), before)


def _parse_card(href: str, data: str, region: str) -> tuple[list[ContactRecord], list[IssueOut]]:
    try:
        result = parse_export(data.encode(), region=region, fmt="vcard")
    except UnreadableFile as exc:
        return [], [IssueOut(line=0, message=str(exc), file=href)]
    issues = [IssueOut(line=i.line, message=i.message, file=href) for i in result.issues]
    records = []
    for rec in result.contacts:
        # RFC 6352 section 5.1 wants a UID on every card; without one the href is the identity.
        rec.source_uid = (rec.source_uid or "").strip() or href
        records.append(rec)
    return records, issues


async def read_cards(
    account: Account, coll: CollectionOut, region: str, source_id: int
) -> CardBatch:
    state = await load_state(source_id, coll.href)
    changes = await _changes(account, coll, state)
    try:
        fetched = await multiget(account, "carddav", coll.href, list(changes.changed))
    except DavError as exc:
        raise DavError(f"the server failed while sending the changed cards ({exc})") from None
    members = dict(state.members)
    gone = [members.pop(h)[1] for h in changes.deleted if h in members]
    records: list[tuple[str, ContactRecord]] = []
    issues: list[IssueOut] = []
    for href in sorted(changes.changed):
        if href not in fetched:  # deleted between the listing and the multiget
            if href in members:
                gone.append(members.pop(href)[1])
            continue
        etag, data = fetched[href]
        parsed, found = await anyio.to_thread.run_sync(_parse_card, href, data, region)
        issues += found
        records += [(href, r) for r in parsed]
        uid = parsed[0].source_uid or href if parsed else href
        members[href] = (etag or changes.changed[href], uid)
    token = changes.sync_token if coll.sync else None
    return CardBatch(
        coll.href, CollectionState(token, members), records, gone, issues, len(fetched)
    )


async def apply_cards(
    user: UserInfo, source_id: int, batches: list[CardBatch], now: dt.datetime
) -> tuple[dict[str, int], list[IssueOut]]:
    """Apply every batch and store every new state, in the caller's write transaction."""
    records = [r for b in batches for _href, r in b.records]
    gone = [uid for b in batches for uid in b.gone_uids]
    if not records and not gone:  # nothing changed: no need to load the address book
        for batch in batches:
            await save_state(source_id, batch.collection, batch.state)
        return {}, [i for b in batches for i in b.issues]
    result = ParseResult(format="vcard", contacts=records)
    existing = await load_existing(user.id)
    source = source_name("vcard", "", source_id)
    plan = await anyio.to_thread.run_sync(
        lambda: plan_import(records, existing, source=source, full_export=False)
    )
    touched = {m.contact_id for m in plan.matches if m.contact_id is not None}
    archives = archives_for_gone(existing, source=source, gone_uids=gone, touched=touched)
    plan = replace(plan, archives=tuple(archives))
    result.issues.extend(plan.issues)
    counts = await apply_import(user, result, plan, now)
    for batch in batches:
        await save_state(source_id, batch.collection, batch.state)
    issues = [i for b in batches for i in b.issues]
    issues += [IssueOut(line=i.line, message=i.message, file="") for i in result.issues]
    return counts, issues


async def run_dav_source(
    user: UserInfo,
    row: SourceRow,
    now: dt.datetime,
    run_id: int | None = None,
    *,
    nightly_run: int | None = None,
) -> ImportReport:
    """One run of a CardDAV or CalDAV source: an ImportRun either way (`run_id`: the queued one
    a "run now" job takes over, or a dead nightly attempt's; `nightly_run`: the nightly attempt
    running it), and the source's status."""
    if run_id is None:
        run_id = await import_runs.start_run(
            user.id, row.id, row.label, row.label, now, nightly_run=nightly_run
        )
    else:
        await import_runs.claim_run(run_id, row.label, row.label, now, nightly_run=nightly_run)
    counts: dict[str, int] = {}
    issues: list[IssueOut] = []
    fmt = "vcard" if row.kind == "carddav" else "ics"
    try:
        account = account_of(row)
        if not row.collections:
            raise DavError("no collection is selected for this source")
        if row.kind == "carddav":
            batches = [await read_cards(account, c, user.region, row.id) for c in row.collections]
            async with write_transaction():
                counts, issues = await apply_cards(user, row.id, batches, now)
        else:
            counts, issues = await dav_events.sync_events(
                user, row.id, account, row.collections, now
            )
    except Exception as exc:
        message = (
            str(exc) if isinstance(exc, DavError) else f"the sync failed ({type(exc).__name__})"
        )
        if not isinstance(exc, DavError):
            log.exception("dav source %s failed", row.id)
        message += "; nothing was changed"
        full = {k: 0 for k in COUNT_KEYS}
        await store.record_source_run(row.id, at=now, status="failed", error=message)
        return await import_runs.finish_run(
            run_id, status="failed", fmt=fmt, counts=full, issues=[], error=message, now=now
        )
    if counts.get("interactions") or counts.get("archived") or counts.get("updated"):
        await strength.refresh_user(user, now)
    if counts.get("new"):
        await merges.refresh_suggestions(user.id, now)
    await store.record_source_run(row.id, at=now, status="ok", error=None)
    full = {k: counts.get(k, 0) for k in COUNT_KEYS}
    return await import_runs.finish_run(
        run_id, status="ok", fmt=fmt, counts=full, issues=issues, error=None, now=now
    )
