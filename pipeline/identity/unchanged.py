"""Which cards of a re-import can skip matching and writing: the ones that did not change.

A card's digest says only that the SOURCE card is the one the last import saw; the contact's
digest (its imported columns as that import left them) says nobody touched the contact since:
no edit in Kith, no merge, no archive, no other source. Only when both match, and the card's
every key is still held by that contact alone, is the import's outcome for the card known
without planning it: "unchanged" (re-importing a card onto the contact it made is idempotent).
Anything else goes through the normal path, so the merge rules and the user's edits still hold.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import NamedTuple, TypeVar

from pipeline.identity.merge import Key, KeyKind, Owners
from pipeline.models import ContactRecord

T = TypeVar("T")
# What a card digest covers: every field but the line and the photo (hashed as bytes), in
# declaration order; one attrgetter call reads them all.
_content = attrgetter(*(f.name for f in fields(ContactRecord) if f.name not in ("line", "photo")))


class Stored(NamedTuple):
    """What the last import of a source remembered about one card (by its namespaced uid); a
    tuple, as a re-import reads one per card of the source."""

    card: str  # card_digest of the record
    contact: int  # the contact it landed on
    state: str  # state_digest of that contact's row right after the import
    # The card's bytes as a large file's batches read them (pipeline/formats/vcard/spans.py):
    # its digest (None: not recognisable), the fields it gave a value for (the batches' bits)
    # and its vCard version, so a card recognised by its bytes is not read again.
    body: str | None = None
    given: int = 0
    version: str = ""


@dataclass(frozen=True, slots=True)
class Kept:
    """Records a re-import skips (indexes) and the contacts they stand for (all unchanged)."""

    records: frozenset[int] = frozenset()
    contacts: frozenset[int] = frozenset()
    # How many of `contacts` are this source's and not archived while missing from the
    # `existing` the plan gets (the archiving guard counts every contact of the source).
    also_mine: int = 0


class KeptConflict(Exception):
    """A card that did change reaches a contact a skipped card stands for: plan without skips."""


def card_digest(record: ContactRecord) -> str:
    """The record's content, line number aside (a card that moved in the file is the same)."""
    digest = hashlib.blake2b(repr(_content(record)).encode(), digest_size=16)
    digest.update(b"\0photo:" + (record.photo or b""))  # bytes as they are: repr would copy
    return digest.hexdigest()


def state_digest(row: Sequence[object]) -> str:
    """A contact's imported columns and a fingerprint of its keys (how many, how long), as the
    database returns them (one engine, one shape)."""
    return hashlib.blake2b(repr(tuple(row)).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class CardKeys:
    """One record's uid (how its digest is found) and every key it claims."""

    index: int
    uid: str
    keys: tuple[tuple[KeyKind, str], ...]
    fallback: str | None = None  # the name-derived uid it may be matched by when nothing else


def select_kept(
    records: Sequence[ContactRecord],
    cards: Iterable[CardKeys],
    stored: Mapping[str, Stored],
    states: Mapping[int, str],
) -> Kept:
    """The records whose card and contact are both as the last import left them, and that no
    other record of this file shares a key with (one person per card: a card merged with
    another one in this file is always planned). A card is only remembered when all its keys
    are its contact's (`keys_landed`), and the state covers the contact's keys: so the contact
    still holds them all, and the plan would find it by them alone."""
    cards = list(cards)
    claims = Counter(key for card in cards for key in card.keys)
    shared = {key for key, n in claims.items() if n > 1}
    kept: list[int] = []
    contacts: set[int] = set()
    for card in cards:
        known = stored.get(card.uid)
        if known is None or states.get(known.contact) != known.state:
            continue
        record = records[card.index]
        # A connection date becomes an interaction the user may have deleted: always planned.
        if record.connected_on or known.card != card_digest(record):
            continue
        if shared.isdisjoint(card.keys):
            kept.append(card.index)
            contacts.add(known.contact)
    return Kept(frozenset(kept), frozenset(contacts))


def rememberable(landed: Iterable[tuple[int, T]]) -> list[tuple[int, T]]:
    """(record, contact) pairs worth a digest: the only record of the import on its contact (a
    contact made of several cards depends on all of them, so none of them may skip)."""
    landed = list(landed)
    per_target = Counter(target for _, target in landed)
    return [(index, target) for index, target in landed if per_target[target] == 1]


def keys_landed(
    card: CardKeys, contact: int, owners: Owners, added: Mapping[int, set[Key]] | None
) -> bool:
    """Whether every key of `card` is `contact`'s after the import: held before (`owners`) or
    added by the plan (`added`: existing contact -> keys; None: the import created it)."""
    if added is None:
        return True
    given = added.get(contact, set())
    return all(
        owners[kind].get(value) == contact or Key(kind, value) in given for kind, value in card.keys
    )
