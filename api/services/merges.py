"""Merge suggestions (similar names, never automatic), merging on the user's word, and undo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from api.db import write_transaction
from api.db.tables import Contact, ContactKey, FollowUp, Interaction, MergeSuggestion
from api.errors import BadRequest, NotFound
from api.jsonutil import dump, load_dict, load_list
from api.services.contacts import ContactInfo, get_contact
from api.services.imports import _LISTS, _SCALARS, _column_values, load_existing
from api.services.strength import refresh_contact
from api.services.users import UserInfo
from pipeline.identity.merge import NamedContact, merge_contacts, merge_suggestions

_SNAPSHOT = (*_SCALARS, *_LISTS)


@dataclass(frozen=True)
class SuggestionInfo:
    id: int
    score: int
    reason: str
    a: ContactInfo
    b: ContactInfo


async def refresh_suggestions(user_id: int, now: dt.datetime) -> int:
    """Find similar-name pairs among active contacts; dismissed pairs never come back."""
    rows = (
        await Contact.select(Contact.id, Contact.full_name)
        .where((Contact.user == user_id) & Contact.archived.eq(False))
        .run()
    )
    held = (
        await MergeSuggestion.select(MergeSuggestion.contact_a, MergeSuggestion.contact_b)
        .where(MergeSuggestion.user == user_id)
        .run()
    )
    known = {(r["contact_a"], r["contact_b"]) for r in held}
    found = merge_suggestions(
        [NamedContact(r["id"], r["full_name"]) for r in rows], dismissed=known
    )
    new_rows = [
        MergeSuggestion(
            user=user_id,
            contact_a=s.a,
            contact_b=s.b,
            score=s.score,
            reason=s.reason,
            changed_at=now,
        )
        for s in found
    ]
    async with write_transaction():
        for i in range(0, len(new_rows), 500):
            await MergeSuggestion.insert(*new_rows[i : i + 500]).run()
    return len(found)


async def list_suggestions(user_id: int) -> list[SuggestionInfo]:
    rows = (
        await MergeSuggestion.select()
        .where((MergeSuggestion.user == user_id) & (MergeSuggestion.state == "open"))
        .order_by(MergeSuggestion.score, ascending=False)
        .order_by(MergeSuggestion.id)
        .run()
    )
    out = []
    for r in rows:
        a = await get_contact(user_id, r["contact_a"])
        b = await get_contact(user_id, r["contact_b"])
        if not a.archived and not b.archived:
            out.append(SuggestionInfo(r["id"], r["score"], r["reason"], a, b))
    return out


async def _suggestion(user_id: int, suggestion_id: int) -> dict[str, Any]:
    row = (
        await MergeSuggestion.select()
        .where((MergeSuggestion.id == suggestion_id) & (MergeSuggestion.user == user_id))
        .first()
        .run()
    )
    if row is None:
        raise NotFound("no such merge suggestion")
    return row


async def dismiss(user_id: int, suggestion_id: int, now: dt.datetime) -> None:
    await _suggestion(user_id, suggestion_id)
    await (
        MergeSuggestion.update(
            {MergeSuggestion.state: "dismissed", MergeSuggestion.changed_at: now}
        )
        .where(MergeSuggestion.id == suggestion_id)
        .run()
    )


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in (*_SNAPSHOT, "edited_fields", "archived")}


async def merge(user: UserInfo, suggestion_id: int, keep_id: int, now: dt.datetime) -> int:
    """Merge the pair into `keep_id`; returns the id to undo with (the suggestion's)."""
    async with write_transaction():
        sug = await _suggestion(user.id, suggestion_id)
        if sug["state"] != "open":
            raise BadRequest("this suggestion was already merged or dismissed")
        pair = {sug["contact_a"], sug["contact_b"]}
        if keep_id not in pair:
            raise BadRequest("keep_id must be one of the two contacts")
        other_id = (pair - {keep_id}).pop()
        existing = {c.id: c for c in await load_existing(user.id) if c.id in pair}
        result = merge_contacts(existing[keep_id], existing[other_id])
        rows = {
            r["id"]: r for r in await Contact.select().where(Contact.id.is_in(list(pair))).run()
        }
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
        values: dict[Any, Any] = {
            Contact._meta.get_column_by_name(n): v
            for n, v in _column_values(dict(result.changes)).items()
        }
        values[Contact.edited_fields] = dump(sorted(result.merged.edited_fields))
        values[Contact.updated_at] = now
        await Contact.update(values).where(Contact.id == keep_id).run()
        for key in result.moved_keys:
            await (
                ContactKey.update({ContactKey.contact: keep_id})
                .where(
                    (ContactKey.user == user.id)
                    & (ContactKey.kind == key.kind)
                    & (ContactKey.value == key.value)
                )
                .run()
            )
        if moved_interactions:
            await (
                Interaction.update({Interaction.contact: keep_id})
                .where(Interaction.id.is_in(moved_interactions))
                .run()
            )
        if moved_followups:
            await (
                FollowUp.update({FollowUp.contact: keep_id})
                .where(FollowUp.id.is_in(moved_followups))
                .run()
            )
        await (
            Contact.update({Contact.archived: True, Contact.updated_at: now})
            .where(Contact.id == other_id)
            .run()
        )
        undo = {
            "keep": keep_id,
            "other": other_id,
            "keep_before": _snapshot(rows[keep_id]),
            "other_before": _snapshot(rows[other_id]),
            "keys": [[k.kind, k.value] for k in result.moved_keys],
            "interactions": moved_interactions,
            "follow_ups": moved_followups,
        }
        await (
            MergeSuggestion.update(
                {
                    MergeSuggestion.state: "merged",
                    MergeSuggestion.undo: dump(undo),
                    MergeSuggestion.changed_at: now,
                }
            )
            .where(MergeSuggestion.id == suggestion_id)
            .run()
        )
        await refresh_contact(user, keep_id, now)
        await refresh_contact(user, other_id, now)
    return suggestion_id


async def undo_merge(user: UserInfo, undo_id: int, now: dt.datetime) -> None:
    async with write_transaction():
        sug = await _suggestion(user.id, undo_id)
        if sug["state"] != "merged" or not sug["undo"]:
            raise BadRequest("there is no merge to undo here")
        undo = load_dict(sug["undo"])
        keep, other = int(undo["keep"]), int(undo["other"])
        for cid, snap in ((keep, undo["keep_before"]), (other, undo["other_before"])):
            values: dict[Any, Any] = {
                Contact._meta.get_column_by_name(k): v for k, v in snap.items()
            }
            values[Contact.updated_at] = now
            await Contact.update(values).where(Contact.id == cid).run()
        for kind, value in undo["keys"]:
            await (
                ContactKey.update({ContactKey.contact: other})
                .where(
                    (ContactKey.user == user.id)
                    & (ContactKey.kind == kind)
                    & (ContactKey.value == value)
                )
                .run()
            )
        if undo["interactions"]:
            await (
                Interaction.update({Interaction.contact: other})
                .where(Interaction.id.is_in(load_list(dump(undo["interactions"]))))
                .run()
            )
        if undo["follow_ups"]:
            await (
                FollowUp.update({FollowUp.contact: other})
                .where(FollowUp.id.is_in(undo["follow_ups"]))
                .run()
            )
        await (
            MergeSuggestion.update(
                {
                    MergeSuggestion.state: "open",
                    MergeSuggestion.undo: None,
                    MergeSuggestion.changed_at: now,
                }
            )
            .where(MergeSuggestion.id == undo_id)
            .run()
        )
        await refresh_contact(user, keep, now)
        await refresh_contact(user, other, now)
