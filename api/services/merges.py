"""Merge suggestions (similar names, never automatic), merging on the user's word, and undo."""

from __future__ import annotations

import datetime as dt

from api.db import write_transaction
from api.errors import BadRequest, NotFound
from api.schemas import SuggestionOut
from api.services.contacts import get_contact
from api.services.strength import refresh_contact
from api.services.users import UserInfo
from api.store import merges as store
from api.store.book import load_existing
from api.store.merges import SuggestionRow
from pipeline.identity.merge import merge_contacts, merge_suggestions


async def refresh_suggestions(user_id: int, now: dt.datetime) -> int:
    """Find similar-name pairs among active contacts; dismissed pairs never come back."""
    names = await store.active_names(user_id)
    known = await store.suggested_pairs(user_id)
    found = merge_suggestions(names, dismissed=known)
    await store.insert_suggestions(user_id, found, now)
    return len(found)


async def list_suggestions(user_id: int) -> list[SuggestionOut]:
    out = []
    for r in await store.open_suggestions(user_id):
        a = await get_contact(user_id, r.contact_a)
        b = await get_contact(user_id, r.contact_b)
        if not a.archived and not b.archived:
            out.append(SuggestionOut(r.id, r.score, r.reason, a, b))
    return out


async def _suggestion(user_id: int, suggestion_id: int) -> SuggestionRow:
    row = await store.find_suggestion(user_id, suggestion_id)
    if row is None:
        raise NotFound("no such merge suggestion")
    return row


async def dismiss(user_id: int, suggestion_id: int, now: dt.datetime) -> None:
    await _suggestion(user_id, suggestion_id)
    await store.set_state(suggestion_id, "dismissed", now)


async def merge(user: UserInfo, suggestion_id: int, keep_id: int, now: dt.datetime) -> int:
    """Merge the pair into `keep_id`; returns the id to undo with (the suggestion's)."""
    async with write_transaction(lock_user=user.id):
        sug = await _suggestion(user.id, suggestion_id)
        if sug.state != "open":
            raise BadRequest("this suggestion was already merged or dismissed")
        pair = {sug.contact_a, sug.contact_b}
        if keep_id not in pair:
            raise BadRequest("keep_id must be one of the two contacts")
        other_id = (pair - {keep_id}).pop()
        existing = {c.id: c for c in await load_existing(user.id) if c.id in pair}
        result = merge_contacts(existing[keep_id], existing[other_id])
        undo = await store.merge_rows(user.id, keep_id, other_id, result, now)
        await store.set_state(suggestion_id, "merged", now, undo)
        await refresh_contact(user, keep_id, now)
        await refresh_contact(user, other_id, now)
    return suggestion_id


async def undo_merge(user: UserInfo, undo_id: int, now: dt.datetime) -> None:
    async with write_transaction(lock_user=user.id):
        sug = await _suggestion(user.id, undo_id)
        if sug.state != "merged" or not sug.undo:
            raise BadRequest("there is no merge to undo here")
        keep, other = await store.unmerge_rows(user.id, sug.undo, now)
        await store.set_state(undo_id, "open", now)
        await refresh_contact(user, keep, now)
        await refresh_contact(user, other, now)
