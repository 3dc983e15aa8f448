"""Archiving what an incremental source reports gone (a CardDAV card deleted on the server).

A sync-collection answer names the deleted members instead of sending a full export, so the
rules of a full export's archiving (match.py `_archives`) are applied to exactly those: only a
contact this source created, that the user never edited, that no other source or export still
vouches for (every uid of it is in this source's namespace), and that no record of this run
touched.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from pipeline.identity.merge import ExistingContact


def archives_for_gone(
    existing: Sequence[ExistingContact],
    *,
    source: str,
    gone_uids: Collection[str],
    touched: Collection[int] = (),
) -> list[int]:
    ns = f"{source}:"
    targets = {ns + uid.strip() for uid in gone_uids if uid.strip()}
    if not targets:
        return []
    return sorted(
        c.id
        for c in existing
        if c.source == source
        and not c.archived
        and not c.edited_fields
        and c.id not in touched
        and c.source_uids & targets
        and all(uid.startswith(ns) for uid in c.source_uids)
    )
