"""Outlook, Thunderbird and generic address-book CSVs, mapped by what their column names say."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from pipeline.formats.csv.values import Context, Draft, Row

# Outlook desktop writes its column names in the UI language; the German ones are included.
_FULL = ("display name", "full name", "name", "formatted name")
_GIVEN = ("first name", "given name", "firstname", "first", "vorname")
_MIDDLE = ("middle name", "additional name", "middle", "weitere vornamen")
_FAMILY = ("last name", "family name", "surname", "lastname", "last", "nachname")
_ORG = ("company", "organization", "organisation", "company name", "organization name", "firma")
_JOB = ("job title", "position", "role", "job")
_BIRTHDAY = ("birthday", "birth date", "birthdate", "date of birth", "dob", "geburtstag")
_NOTE = ("notes", "note", "comments", "comment", "notizen")
_GROUPS = ("categories", "category", "groups", "group", "tags", "kategorien")
_NAMED = frozenset((*_FULL, *_GIVEN, *_FAMILY, *_ORG))
# Outlook's `Title` column is the courtesy title (Mr., Dr.); elsewhere it can be the job title.
_COURTESY = re.compile(r"(mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev|fr|herr|frau|mme|mlle|m)\.?")

_EMAIL = re.compile(r"e-?mail")
_PHONE = re.compile(r"phone|mobile|cell|fax|pager|callback|isdn|telex|tty|\btel\b|telefon")
_URL = re.compile(r"web ?page|web ?site|home ?page|\burls?\b|blog|webseite")
_NOT_VALUE = re.compile(r"typ|label|display|angezeigt|phonetic|yomi|kind|photo|picture|avatar")
_SEPARATORS = re.compile(r"[;,]")


@lru_cache(maxsize=1024)  # asked once per cell; a file has few distinct column names
def _emailish(key: str) -> bool:
    return bool(_EMAIL.search(key)) and not _NOT_VALUE.search(key)


@lru_cache(maxsize=1024)  # asked once per cell; a file has few distinct column names
def _phoneish(key: str) -> bool:
    return bool(_PHONE.search(key)) and not _NOT_VALUE.search(key)


@lru_cache(maxsize=1024)  # asked once per cell; a file has few distinct column names
def _urlish(key: str) -> bool:
    return bool(_URL.search(key)) and not _NOT_VALUE.search(key)


def recognise(keys: Sequence[str]) -> bool:
    """A name or company column and an email or phone column."""
    named = any(key in _NAMED for key in keys)
    return named and any(_emailish(key) or _phoneish(key) for key in keys)


def is_thunderbird(keys: Sequence[str]) -> bool:
    return "primary email" in keys


def _birthday(row: Row) -> str | None:
    """One Birthday cell, or Thunderbird's Birth Year / Month / Day columns as an ISO date."""
    written = row.get(*_BIRTHDAY)
    if written:
        return written
    month, day = (row.get("birth month") or "").strip(), (row.get("birth day") or "").strip()
    if not (month.isdecimal() and day.isdecimal()):
        return None
    year = (row.get("birth year") or "").strip()
    month_day = f"{int(month):02d}-{int(day):02d}"
    return f"{int(year):04d}-{month_day}" if year.isdecimal() else f"--{month_day}"


def to_draft(row: Row, line: int, ctx: Context) -> Draft:
    title_cell = (row.get("title") or "").strip()
    if row.has("job title") or _COURTESY.fullmatch(title_cell.casefold()):
        title_cell = ""  # a courtesy title: not kept (ContactRecord has no prefix field)
    draft = Draft(
        line=line,
        full_name=row.get(*_FULL),
        given_name=row.get(*_GIVEN),
        middle_name=row.get(*_MIDDLE),
        family_name=row.get(*_FAMILY),
        suffix=row.get("suffix", "name suffix"),
        nickname=row.get("nickname", "nick name"),
        organization=row.get(*_ORG),
        title=row.get(*_JOB) or title_cell or None,
        note=row.get(*_NOTE),
        emails=[value for _, value in row.matching(_emailish)],
        phones=[value for _, value in row.matching(_phoneish)],
        urls=[value for _, value in row.matching(_urlish)],
        groups=[
            part.strip()
            for _, value in row.matching(lambda k: k in _GROUPS)
            for part in _SEPARATORS.split(value)
        ],
    )
    draft.set_birthday(_birthday(row), day_first=ctx.day_first)
    return draft
