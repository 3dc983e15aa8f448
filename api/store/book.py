"""The address book as the identity core sees it: contacts with their keys; their columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.db.bulk import fetch_tuples
from api.db.tables import Contact
from api.jsonutil import dump, load_list
from pipeline.identity.merge import LIST_FIELDS, SCALAR_FIELDS, ExistingContact

FIELDS = (*SCALAR_FIELDS, *LIST_FIELDS)  # a contact's own fields, as the matcher reads them


async def load_existing(user_id: int) -> list[ExistingContact]:
    """Every contact with its keys, as the matcher sees them (call inside the transaction).

    Plain tuples from the driver: for a 50,000-contact book, a dict per row was most of the cost.
    """
    cols = ", ".join(f'"{n}"' for n in FIELDS)
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
    scalars = len(SCALAR_FIELDS)
    out = []
    for r in rows:
        ks = by_contact.get(r[0], {})
        fields: dict[str, object] = {n: r[1 + i] or None for i, n in enumerate(SCALAR_FIELDS)}
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


async def key_values(user_id: int) -> set[str]:
    """Every key value the user's contacts hold, of any kind (call inside a transaction)."""
    rows = await fetch_tuples('SELECT value FROM contact_key WHERE "user" = ?', user_id)
    return {r[0] for r in rows}


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
