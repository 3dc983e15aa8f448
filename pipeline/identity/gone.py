"""Archiving contacts a source no longer has, never deleting them: one rule for both kinds.

A full export archives what it no longer lists; an incremental source (a CardDAV card deleted on
the server: a sync-collection answer names the deleted members, RFC 6578 section 3.5) archives
exactly those. Either way only a contact this source created, that the user never edited, that no
other source or export still vouches for (every uid of it is in this source's namespace), and that
no record of this run touched (`_archivable`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from pipeline.identity.merge import ExistingContact
from pipeline.models import ImportIssue

# Refuse to archive more than this share of a source's contacts in one run: a truncated export
# (Google's is known to drop contacts) must not silently hide half of someone's network.
ARCHIVE_GUARD_FRACTION = 0.5
ARCHIVE_GUARD_MIN = 10


def _archivable(c: ExistingContact, source: str, touched: Collection[int]) -> bool:
    ns = f"{source}:"
    return (
        c.source == source
        and not c.archived
        and not c.edited_fields
        and c.id not in touched
        and all(uid.startswith(ns) for uid in c.source_uids)
    )


def archives_for_full_export(
    existing: Sequence[ExistingContact],
    seen: set[int],
    source: str,
    any_records: bool,
    issues: list[ImportIssue],
    also_mine: int = 0,
) -> list[int]:
    """Contacts this source created that its full export no longer has; none when the export
    looks truncated (an issue says so). `also_mine`: the source's unarchived contacts left out
    of `existing` (all seen: unchanged cards stand for them)."""
    mine = [c for c in existing if c.source == source and not c.archived]
    total = len(mine) + also_mine
    gone = [c.id for c in mine if _archivable(c, source, seen)]
    many = len(gone) >= ARCHIVE_GUARD_MIN and len(gone) > ARCHIVE_GUARD_FRACTION * total
    if gone and (many or not any_records):
        issues.append(
            ImportIssue(
                0,
                f"not archiving {len(gone)} of {total} contacts from {source}: "
                "the export looks truncated",
            )
        )
        return []
    return sorted(gone)


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
        c.id for c in existing if c.source_uids & targets and _archivable(c, source, touched)
    )
