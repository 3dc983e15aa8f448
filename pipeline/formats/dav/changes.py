"""What changed in a collection since the last run, from a sync-collection answer or from an
ETag listing compared with the last run's (for servers without RFC 6578)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.formats.dav.multistatus import DAV, Multistatus, member_key, same_path


@dataclass(frozen=True)
class Changes:
    changed: dict[str, str]  # href -> etag ("" when the server sent none)
    deleted: tuple[str, ...]
    sync_token: str | None = None


def _is_member(href: str, collection: str) -> bool:
    # Some servers (RFC 4918 9.1 allows it) list the collection itself in a Depth 1 answer.
    return not same_path(href, collection)


def from_sync(ms: Multistatus, collection: str) -> Changes:
    """RFC 6578 section 3.5: a member with properties changed; one with a 404 status is gone."""
    changed: dict[str, str] = {}
    deleted: list[str] = []
    for r in ms.responses:
        if not _is_member(r.href, collection):
            continue
        if r.gone:
            deleted.append(member_key(r.href))
        elif r.props:
            changed[member_key(r.href)] = r.text(DAV, "getetag") or ""
    return Changes(changed, tuple(deleted), ms.sync_token)


def listing(ms: Multistatus, collection: str) -> dict[str, str]:
    """href -> etag of every member resource (not sub-collections) of a Depth 1 PROPFIND."""
    members: dict[str, str] = {}
    for r in ms.responses:
        if not _is_member(r.href, collection) or r.gone:
            continue
        if r.has_tag(DAV, "resourcetype", DAV, "collection"):
            continue
        members[member_key(r.href)] = r.text(DAV, "getetag") or ""
    return members


def compare(now: Mapping[str, str], before: Mapping[str, str]) -> Changes:
    """Changed: new hrefs and hrefs whose etag differs (or is unknown); deleted: hrefs gone."""
    changed = {h: e for h, e in now.items() if not e or before.get(h) != e}
    deleted = tuple(sorted(h for h in before if h not in now))
    return Changes(changed, deleted)


def batches(hrefs: list[str], size: int) -> list[list[str]]:
    return [hrefs[i : i + size] for i in range(0, len(hrefs), size)]
