"""The address book as the identity core sees it: contacts with their keys; their columns."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from api.db.bulk import fetch_tuples
from api.db.tables import Contact
from api.jsonutil import dump, load_list
from pipeline.identity.merge import LIST_FIELDS, SCALAR_FIELDS, ExistingContact, Owners
from pipeline.identity.unchanged import state_digest

FIELDS = (*SCALAR_FIELDS, *LIST_FIELDS)  # a contact's own fields, as the matcher reads them


@dataclass(frozen=True, slots=True)
class Book:
    """One user's contacts as plain rows and their keys, read once per import."""

    rows: list[tuple[Any, ...]]  # id, FIELDS..., edited_fields, archived, source
    keys: dict[int, dict[str, set[str]]]  # contact -> kind -> values

    def contacts(self, slim: Collection[int] = ()) -> list[ExistingContact]:
        """As the matcher sees them; a contact in `slim` comes with its keys and flags only
        (an unchanged card stands for it: the plan never reads its fields)."""
        scalars = len(SCALAR_FIELDS)
        out = []
        for r in self.rows:
            ks = self.keys.get(r[0], {})
            fields: dict[str, object] = {}
            if r[0] not in slim:
                fields = {n: r[1 + i] or None for i, n in enumerate(SCALAR_FIELDS)}
                for i, n in enumerate(LIST_FIELDS):
                    text = r[1 + scalars + i]
                    fields[n] = load_list(text) if text and text != "[]" else []
            edited = r[1 + len(FIELDS)]
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
                    archived=bool(r[2 + len(FIELDS)]),
                    source=r[3 + len(FIELDS)],
                )
            )
        return out

    def owners(self) -> Owners:
        """Who holds each key: kind -> value -> contact id."""
        out: dict[str, dict[str, int]] = {"source-uid": {}, "email": {}, "phone": {}}
        for contact, kinds in self.keys.items():
            for kind, values in kinds.items():
                held = out.setdefault(kind, {})
                for value in values:
                    held.setdefault(value, contact)
        return out


_BOOK_SQL = (
    f"SELECT id, {', '.join(chr(34) + n + chr(34) for n in FIELDS)}, edited_fields, archived, "
    'source FROM contact WHERE "user" = ?'
)


# The contact's imported columns and a fingerprint of its keys: what a remembered card's
# contact must still look like (pipeline.identity.unchanged).
_STATE_SQL = (
    # `c.id + 0`: the same integer, without SQLite's per-value converter for an INTEGER column
    # (Piccolo registers one by declared type; an expression has none).
    f"SELECT c.id + 0, {', '.join('c.' + chr(34) + n + chr(34) for n in FIELDS)}, c.edited_fields, "
    "c.archived, c.source, (SELECT count(*) FROM contact_key k WHERE k.contact = c.id), "
    "(SELECT coalesce(sum(length(k.value)), 0) FROM contact_key k WHERE k.contact = c.id) "
    'FROM contact c WHERE c."user" = ?'
)


# Every kind spelled out, so the lookup walks the unique (user, kind, value) index to each
# value instead of every key of the user.
_KINDS = "('source-uid', 'email', 'phone')"


def _in(ids: Collection[int] | Collection[str]) -> Iterator[tuple[str, list[Any]]]:
    """IN lists of at most 500 values (well under every engine's parameter limit)."""
    values = sorted(ids)
    for i in range(0, len(values), 500):
        chunk = values[i : i + 500]
        yield ", ".join("?" for _ in chunk), chunk


async def load_book(user_id: int, ids: Collection[int] | None = None) -> Book:
    """The user's contacts (only `ids` when given) with their keys (inside the transaction).

    Plain tuples from the driver: for a 50,000-contact book, a dict per row was most of the cost.
    """
    if ids is None:
        rows = await fetch_tuples(_BOOK_SQL, user_id)
        keys = await fetch_tuples(
            'SELECT contact, kind, value FROM contact_key WHERE "user" = ?', user_id
        )
    else:
        rows, keys = [], []
        for marks, chunk in _in(ids):
            rows += await fetch_tuples(f"{_BOOK_SQL} AND id IN ({marks})", user_id, *chunk)
            keys += await fetch_tuples(
                f"SELECT contact, kind, value FROM contact_key WHERE contact IN ({marks})", *chunk
            )
    by_contact: dict[int, dict[str, set[str]]] = {}
    for contact, kind, value in keys:
        by_contact.setdefault(contact, {}).setdefault(kind, set()).add(value)
    return Book(rows, by_contact)


async def key_owners(user_id: int, values: Collection[str]) -> set[int]:
    """The contacts holding any of these key values, of any kind (indexed lookups)."""
    out: set[int] = set()
    for marks, chunk in _in(values):
        rows = await fetch_tuples(
            f'SELECT contact FROM contact_key WHERE "user" = ? AND kind IN {_KINDS} AND value IN ({marks})',
            user_id,
            *chunk,
        )
        out.update(r[0] for r in rows)
    return out


async def source_contacts(user_id: int, source: str) -> set[int]:
    """The unarchived contacts this source created (what a full export may archive)."""
    rows = await fetch_tuples(
        'SELECT id FROM contact WHERE "user" = ? AND source = ? AND NOT archived', user_id, source
    )
    return {r[0] for r in rows}


# Contacts whose states are read by one id range (BETWEEN) at most; a range is used when the
# ids fill at least half of it (an import's new contacts, a source's contacts: nearly dense).
STATE_RANGE_MAX = 5_000


def _ranges(ids: Collection[int]) -> Iterator[tuple[int, int, set[int]]]:
    """Sorted ids cut into (low, high, members) runs of at most STATE_RANGE_MAX ids each."""
    values = sorted(set(ids))
    for i in range(0, len(values), STATE_RANGE_MAX):
        chunk = values[i : i + STATE_RANGE_MAX]
        yield chunk[0], chunk[-1], set(chunk)


async def contact_states(user_id: int, ids: Collection[int]) -> dict[int, str]:
    """`state_digest` of these contacts as they are now (inside the transaction); read a few
    thousand at a time, so a large book's rows are never all held at once. A dense run of ids is
    one range read (its rows outside `ids` dropped) instead of IN lists of 500: a 50,000-contact
    re-import's states were half a second of round trips."""
    out: dict[int, str] = {}
    for low, high, members in _ranges(ids):
        if high - low + 1 <= 2 * len(members):
            sql, args = f"{_STATE_SQL} AND c.id BETWEEN ? AND ?", [low, high]
            for r in await fetch_tuples(sql, user_id, *args):
                if r[0] in members:
                    out[r[0]] = state_digest(r)
            continue
        for marks, chunk in _in(members):
            for r in await fetch_tuples(f"{_STATE_SQL} AND c.id IN ({marks})", user_id, *chunk):
                out[r[0]] = state_digest(r)
    return out


async def load_existing(user_id: int) -> list[ExistingContact]:
    """Every contact with its keys, as the matcher sees them (call inside the transaction)."""
    return (await load_book(user_id)).contacts()


async def key_values(user_id: int, among: Collection[str] | None = None) -> set[str]:
    """Every key value the user's contacts hold, of any kind, or those of `among` (indexed
    lookups; call inside a transaction)."""
    if among is None:
        rows = await fetch_tuples('SELECT value FROM contact_key WHERE "user" = ?', user_id)
        return {r[0] for r in rows}
    out: set[str] = set()
    for marks, chunk in _in(among):
        rows = await fetch_tuples(
            f'SELECT value FROM contact_key WHERE "user" = ? AND kind IN {_KINDS} AND value IN ({marks})',
            user_id,
            *chunk,
        )
        out.update(r[0] for r in rows)
    return out


def column_values(values: Mapping[str, object]) -> dict[str, Any]:
    """Contact field values as their columns store them (lists as JSON text, full_name never
    NULL); names that are not contact fields are dropped."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in LIST_FIELDS:
            out[name] = dump(list(value) if isinstance(value, list) else [])
        elif name in SCALAR_FIELDS:
            out[name] = value if value is not None else ("" if name == "full_name" else None)
    return out


def contact_columns(values: Mapping[str, object]) -> dict[Any, Any]:
    """`column_values` keyed by Piccolo column, for an UPDATE."""
    return {Contact._meta.get_column_by_name(n): v for n, v in column_values(values).items()}
