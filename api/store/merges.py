"""Merge suggestions, and the rows a merge moves (kept in an undo document to move them back)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.db import fit, write_transaction
from api.db.tables import Contact, ContactKey, FollowUp, Interaction, MergeSuggestion
from api.jsonutil import dump, load_dict, load_list
from api.store.book import FIELDS, contact_columns
from pipeline.identity.merge import MergeResult, NamedContact, Suggestion


@dataclass(frozen=True)
class SuggestionRow:
    id: int
    contact_a: int
    contact_b: int
    score: int
    reason: str
    state: str  # open | dismissed | merged
    undo: dict[str, Any] | None  # what `merge_rows` moved, while merged


def _row(r: dict[str, Any]) -> SuggestionRow:
    return SuggestionRow(
        id=r["id"],
        contact_a=r["contact_a"],
        contact_b=r["contact_b"],
        score=r["score"],
        reason=r["reason"],
        state=r["state"],
        undo=load_dict(r["undo"]) if r["undo"] else None,
    )


async def active_names(user_id: int) -> list[NamedContact]:
    rows = (
        await Contact.select(Contact.id, Contact.full_name)
        .where((Contact.user == user_id) & Contact.archived.eq(False))
        .run()
    )
    return [NamedContact(r["id"], r["full_name"]) for r in rows]


async def suggested_pairs(user_id: int) -> set[tuple[int, int]]:
    """Every pair ever suggested, in any state (dismissed pairs never come back)."""
    held = (
        await MergeSuggestion.select(MergeSuggestion.contact_a, MergeSuggestion.contact_b)
        .where(MergeSuggestion.user == user_id)
        .run()
    )
    return {(r["contact_a"], r["contact_b"]) for r in held}


def _new(user_id: int, s: Suggestion, now: dt.datetime) -> MergeSuggestion:
    return MergeSuggestion(
        user=user_id,
        contact_a=s.a,
        contact_b=s.b,
        score=s.score,
        reason=fit(MergeSuggestion.reason, s.reason),
        changed_at=now,
    )


async def insert_suggestions(user_id: int, found: Sequence[Suggestion], now: dt.datetime) -> None:
    """Record new pairs (the caller knows them to be new), in their own transaction."""
    rows = [_new(user_id, s, now) for s in found]
    async with write_transaction():
        for i in range(0, len(rows), 500):
            await MergeSuggestion.insert(*rows[i : i + 500]).run()


async def add_suggestions(user_id: int, found: Sequence[Suggestion], now: dt.datetime) -> None:
    """Record merge suggestions for pairs not suggested before (in any state)."""
    for s in found:
        exists = (
            await MergeSuggestion.exists()
            .where(
                (MergeSuggestion.user == user_id)
                & (MergeSuggestion.contact_a == s.a)
                & (MergeSuggestion.contact_b == s.b)
            )
            .run()
        )
        if not exists:
            await MergeSuggestion.insert(_new(user_id, s, now)).run()


async def open_suggestions(user_id: int) -> list[SuggestionRow]:
    """Open suggestions, best score first."""
    rows = (
        await MergeSuggestion.select()
        .where((MergeSuggestion.user == user_id) & (MergeSuggestion.state == "open"))
        .order_by(MergeSuggestion.score, ascending=False)
        .order_by(MergeSuggestion.id)
        .run()
    )
    return [_row(r) for r in rows]


async def find_suggestion(user_id: int, suggestion_id: int) -> SuggestionRow | None:
    row = (
        await MergeSuggestion.select()
        .where((MergeSuggestion.id == suggestion_id) & (MergeSuggestion.user == user_id))
        .first()
        .run()
    )
    return None if row is None else _row(row)


async def set_state(
    suggestion_id: int, state: str, now: dt.datetime, undo: dict[str, Any] | None = None
) -> None:
    values: dict[Any, Any] = {MergeSuggestion.state: state, MergeSuggestion.changed_at: now}
    if state != "dismissed":
        values[MergeSuggestion.undo] = dump(undo) if undo is not None else None
    await MergeSuggestion.update(values).where(MergeSuggestion.id == suggestion_id).run()


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in (*FIELDS, "edited_fields", "archived")}


async def _move_keys(user_id: int, keys: Sequence[Sequence[str]], to: int) -> None:
    for kind, value in keys:
        await (
            ContactKey.update({ContactKey.contact: to})
            .where(
                (ContactKey.user == user_id)
                & (ContactKey.kind == kind)
                & (ContactKey.value == value)
            )
            .run()
        )


async def _move_history(interactions: list[int], follow_ups: list[int], to: int) -> None:
    if interactions:
        await (
            Interaction.update({Interaction.contact: to})
            .where(Interaction.id.is_in(interactions))
            .run()
        )
    if follow_ups:
        await FollowUp.update({FollowUp.contact: to}).where(FollowUp.id.is_in(follow_ups)).run()


async def merge_rows(
    user_id: int, keep_id: int, other_id: int, result: MergeResult, now: dt.datetime
) -> dict[str, Any]:
    """Write `result` into `keep_id`, move the other's keys and history, archive it; returns the
    undo document (both contacts as they were, and every row moved)."""
    pair = [keep_id, other_id]
    rows = {r["id"]: r for r in await Contact.select().where(Contact.id.is_in(pair)).run()}
    moved_interactions = [
        r["id"]
        for r in await Interaction.select(Interaction.id)
        .where(Interaction.contact == other_id)
        .run()
    ]
    moved_followups = [
        r["id"]
        for r in await FollowUp.select(FollowUp.id).where(FollowUp.contact == other_id).run()
    ]
    values = contact_columns(result.changes)
    values[Contact.edited_fields] = dump(sorted(result.merged.edited_fields))
    values[Contact.updated_at] = now
    await Contact.update(values).where(Contact.id == keep_id).run()
    keys = [[k.kind, k.value] for k in result.moved_keys]
    await _move_keys(user_id, keys, keep_id)
    await _move_history(moved_interactions, moved_followups, keep_id)
    await (
        Contact.update({Contact.archived: True, Contact.updated_at: now})
        .where(Contact.id == other_id)
        .run()
    )
    return {
        "keep": keep_id,
        "other": other_id,
        "keep_before": _snapshot(rows[keep_id]),
        "other_before": _snapshot(rows[other_id]),
        "keys": keys,
        "interactions": moved_interactions,
        "follow_ups": moved_followups,
    }


async def unmerge_rows(user_id: int, undo: dict[str, Any], now: dt.datetime) -> tuple[int, int]:
    """Put back what `merge_rows` did, from its undo document; returns (keep, other)."""
    keep, other = int(undo["keep"]), int(undo["other"])
    for cid, snap in ((keep, undo["keep_before"]), (other, undo["other_before"])):
        values: dict[Any, Any] = {Contact._meta.get_column_by_name(k): v for k, v in snap.items()}
        values[Contact.updated_at] = now
        await Contact.update(values).where(Contact.id == cid).run()
    await _move_keys(user_id, undo["keys"], other)
    await _move_history(load_list(dump(undo["interactions"])), undo["follow_ups"], other)
    return keep, other
