"""Google Contacts CSV: current (`First Name`, `Labels`) and legacy (`Given Name`) layouts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from pipeline.formats.csv.values import Context, Draft, Row, split_multi

# `E-mail 1 - Value` with its `E-mail 1 - Label` (current) or `E-mail 1 - Type` (legacy).
_NUMBERED = re.compile(r"(e-mail|phone|website) (\d+) - value")
_SIGNATURE = re.compile(r"(e-mail|phone|website|organization|address|relation|event) \d+ - \w+")
_GOOGLE_ONLY = frozenset(
    {"labels", "group membership", "given name", "family name", "file as", "phonetic first name"}
)
# System labels are written with a `* ` marker. `myContacts` (legacy `My Contacts`) holds every
# contact, so it says nothing and is dropped; the others get the names Google's UI shows.
_SYSTEM_LABELS = {
    "mycontacts": None,
    "my contacts": None,
    "starred": "Starred",
    "other": "Other contacts",
    "friends": "Friends",
    "family": "Family",
    "coworkers": "Coworkers",
}


def recognise(keys: Sequence[str]) -> bool:
    """A Google header has numbered `X n - Value` columns or a Google-only column."""
    return any(key in _GOOGLE_ONLY or _SIGNATURE.fullmatch(key) for key in keys)


def labels(value: str | None) -> list[str]:
    """Group names from `Labels` / `Group Membership` (`* myContacts ::: Work`)."""
    groups: list[str] = []
    for part in split_multi(value):
        if part.startswith("*"):
            name = part.lstrip("* ").strip()
            system = _SYSTEM_LABELS.get(name.casefold(), name)
            if system:
                groups.append(system)
        else:
            groups.append(part)
    return groups


@lru_cache(maxsize=1024)  # asked once per cell; a file has few distinct column names
def _value_column(key: str) -> tuple[str, str] | None:
    """(kind, its label columns) for a `Kind n - Value` column."""
    match = _NUMBERED.fullmatch(key)
    if not match:
        return None
    kind, n = match.groups()
    return kind, f"{kind} {n} - "


def _numbered(row: Row, kind: str) -> list[str]:
    """Every value of one kind, values whose label is marked `* ` (primary) first."""
    found: list[tuple[bool, str]] = []
    for key, value in row.matching(lambda k: k.startswith(kind)):
        column = _value_column(key)
        if column is None or column[0] != kind:
            continue
        label = row.get(column[1] + "label", column[1] + "type") or ""
        found += [(not label.strip().startswith("*"), part) for part in split_multi(value)]
    return [value for _, value in sorted(found, key=lambda pair: pair[0])]


def to_draft(row: Row, line: int, ctx: Context) -> Draft:
    draft = Draft(
        line=line,
        full_name=row.get("name"),
        given_name=row.get("first name", "given name"),
        middle_name=row.get("middle name", "additional name"),
        family_name=row.get("last name", "family name"),
        suffix=row.get("name suffix"),
        nickname=row.get("nickname"),
        organization=row.get("organization name", "organization 1 - name", "company"),
        title=row.get("organization title", "organization 1 - title"),
        note=row.get("notes"),
        emails=_numbered(row, "e-mail"),
        phones=_numbered(row, "phone"),
        urls=_numbered(row, "website"),
        groups=labels(row.get("labels", "group membership")),
    )
    # Google writes ISO dates, `--MM-DD` when the year is unknown.
    draft.set_birthday(row.get("birthday"), day_first=ctx.day_first)
    return draft
