"""A CSV row's cells gathered into a draft, then normalized into one ContactRecord."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.formats.csv.dates import BadDate, parse_date
from pipeline.models import ContactRecord
from pipeline.normalize import (
    clean_text,
    collapse_ws,
    fallback_name,
    normalize_email,
    normalize_phone,
    unique,
)

# Test and intranet exports use single-label domains (`contact1@invalid`, `ann@mailhost`);
# they are real addresses for the mail client that wrote them, so they are kept.
_DOTLESS_EMAIL = re.compile(r"[^@\s<>(),;:\"]+@[A-Za-z0-9-]+")
_ANGLE_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_NEWLINES = re.compile(r"\r\n?")
_EMAIL_LIST = re.compile(r"\s*[;,]\s*|\s+(?=[^\s@]+@)")


class Row:
    """One data row addressed by header key; for a repeated column the first filled cell wins."""

    __slots__ = ("_first", "_keys", "cells")

    def __init__(self, keys: Sequence[str], cells: Sequence[str]) -> None:
        self._keys = keys
        # Only filled cells are kept: an Outlook row has 92 columns and a dozen values.
        # zip drops cells beyond the header (Thunderbird rows carry one trailing empty field).
        self.cells = [(k, v) for k, v in zip(keys, cells, strict=False) if v and not v.isspace()]
        self._first: dict[str, str] = {}
        for key, value in self.cells:
            self._first.setdefault(key, value)

    def get(self, *keys: str) -> str | None:
        """The first filled cell among `keys`, as written."""
        for key in keys:
            if key in self._first:
                return self._first[key]
        return None

    def has(self, key: str) -> bool:
        """Whether the header has this column, filled in this row or not."""
        return key in self._keys

    def matching(self, wanted: Callable[[str], bool]) -> list[tuple[str, str]]:
        """Filled cells whose key is wanted, in column order."""
        return [(k, v) for k, v in self.cells if wanted(k)]


@dataclass(frozen=True, slots=True)
class Context:
    """What a row mapper needs beyond the row: the phone region and the file's date order."""

    region: str | None
    day_first: bool


@dataclass(slots=True)
class Draft:
    """A row's values as written, before normalization."""

    line: int
    full_name: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    family_name: str | None = None
    suffix: str | None = None
    nickname: str | None = None
    organization: str | None = None
    title: str | None = None
    birthday: str | None = None  # already `YYYY-MM-DD` / `--MM-DD` (see set_birthday)
    note: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    source_uid: str | None = None
    connected_on: str | None = None
    problems: list[str] = field(default_factory=list)

    def set_birthday(self, text: str | None, *, day_first: bool, column: str = "Birthday") -> None:
        """Parse a birthday cell; an unreadable one is reported and left empty."""
        try:
            self.birthday = parse_date(text, day_first=day_first)
        except BadDate:
            self.problems.append(f"{column} {text!r} is not a date; left empty")


def split_multi(value: str | None) -> list[str]:
    """Google's ` ::: ` joins several values in one cell (`a@x.org ::: b@y.org`)."""
    return [part.strip() for part in (value or "").split(":::") if part.strip()]


def _is_cjk(text: str) -> bool:
    return all(
        unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))
        for ch in text
    )


def compose_name(
    given: str | None,
    middle: str | None = None,
    family: str | None = None,
    suffix: str | None = None,
) -> str | None:
    """Given, middle, family, suffix joined; CJK names are written family name first."""
    given, middle, family, suffix = (collapse_ws(p) for p in (given, middle, family, suffix))
    if given and family and not middle and _is_cjk(given + family):
        return f"{family} {given}"
    return collapse_ws(" ".join(p for p in (given, middle, family, suffix) if p))


def csv_email(raw: str) -> str | None:
    """A casefolded address from a cell (`Ann <ann@x.org>` too), or None."""
    text = raw.strip()
    if angle := _ANGLE_EMAIL.search(text):
        text = angle.group(1)
    email = normalize_email(text)
    if email is None and _DOTLESS_EMAIL.fullmatch(text):
        email = text.casefold()
    return email


def _split_emails(cell: str) -> list[str]:
    """Hand-made CSVs list several addresses in one cell (`a@x.org; b@y.org`)."""
    return _EMAIL_LIST.split(cell) if cell.count("@") > 1 else [cell]


def _clean_note(value: str | None) -> str | None:
    """Multi-line notes keep their lines, with CRLF and CR turned into LF."""
    return clean_text(_NEWLINES.sub("\n", value)) if value else None


def finish(draft: Draft, region: str | None) -> ContactRecord | None:
    """The normalized record, or None when the row names nobody (no name, org, email or phone).

    Unreadable emails are added to draft.problems; values without an `@` at all (LinkedIn's
    `urn:li:member:...`, Exchange X.500 paths) are identifiers, not mistyped addresses, and are
    dropped silently.
    """
    emails: list[str] = []
    for raw in (part for cell in draft.emails for part in _split_emails(cell)):
        email = csv_email(raw)
        if email:
            emails.append(email)
        elif "@" in raw:
            draft.problems.append(f"{raw.strip()!r} is not an email address; left out")
    emails = unique(emails)
    phones = unique([p for p in (normalize_phone(raw, region) for raw in draft.phones) if p])
    given, family = collapse_ws(draft.given_name), collapse_ws(draft.family_name)
    nickname, organization = collapse_ws(draft.nickname), collapse_ws(draft.organization)
    written = collapse_ws(draft.full_name) or compose_name(
        draft.given_name, draft.middle_name, draft.family_name, draft.suffix
    )
    full_name = fallback_name(
        full_name=written,
        given_name=given,
        family_name=family,
        nickname=nickname,
        organization=organization,
        emails=emails,
        phones=phones,
    )
    if full_name is None:
        return None
    return ContactRecord(
        source_uid=draft.source_uid,
        full_name=full_name,
        given_name=given,
        family_name=family,
        emails=emails,
        phones=phones,
        organization=organization,
        title=collapse_ws(draft.title),
        birthday=draft.birthday,
        note=_clean_note(draft.note),
        groups=unique([g for g in (collapse_ws(g) for g in draft.groups) if g]),
        urls=unique([u for u in (collapse_ws(u) for u in draft.urls) if u]),
        connected_on=draft.connected_on,
        nickname=nickname,
        line=draft.line,
    )
