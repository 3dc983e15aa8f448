"""LinkedIn `Connections.csv`: 2018 layout and the current one with its `Notes:` preamble."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.formats.csv.dates import BadDate, parse_date
from pipeline.formats.csv.values import Context, Draft, Row, compose_name
from pipeline.normalize import name_key

_PROFILE = re.compile(
    r"(?:https?://)?(?:[\w-]+\.)?linkedin\.com/in/([^/?#\s]+)(?:[/?#]\S*)?", re.IGNORECASE
)
# Exports only write `Connected On`; hand-edited files and other tools rename it.
_CONNECTED = ("connected on", "connection date", "date connected")
_PLACEHOLDER = re.compile(r"[\W_]*")  # LinkedIn writes " -" when a member hides the employer


def recognise(keys: Sequence[str]) -> bool:
    named = "first name" in keys or "last name" in keys
    return named and any(key in _CONNECTED for key in keys)


def source_uid(url: str | None, name: str | None, connected_on: str | None) -> str | None:
    """A stable identity for re-imports: the profile URL, else name and connection date.

    Most rows have no email, so without this a second import of the same file could only
    match by name. Vanity slugs are written with capitals in some exports and not in others.
    """
    if url and (match := _PROFILE.fullmatch(url.strip())):
        return f"https://www.linkedin.com/in/{match.group(1).casefold()}"
    if url and url.strip():
        return url.strip()
    if name and connected_on:
        return f"linkedin:{name_key(name)}:{connected_on}"
    return None


def to_draft(row: Row, line: int, ctx: Context) -> Draft:
    given, family = row.get("first name"), row.get("last name")
    company = row.get("company")
    url = row.get("url", "profile url")
    draft = Draft(
        line=line,
        full_name=compose_name(given, None, family),
        given_name=given,
        family_name=family,
        organization=None if company is None or _PLACEHOLDER.fullmatch(company) else company,
        title=row.get("position"),
        emails=[e for e in [row.get("email address")] if e],
        urls=[url.strip()] if url else [],
    )
    connected = row.get(*_CONNECTED)
    try:
        # `05 Oct 2020` (current) or `1/8/18, 6:14 PM` (2018, month first)
        draft.connected_on = parse_date(connected, day_first=ctx.day_first)
    except BadDate:
        draft.problems.append(f"Connected On {connected!r} is not a date; left empty")
    if draft.connected_on and draft.connected_on.startswith("--"):
        draft.connected_on = None  # a connection date without a year places nothing in time
    draft.source_uid = source_uid(url, draft.full_name, draft.connected_on)
    if not draft.full_name:
        # Without a name the contact is called by its profile or address, never by its employer.
        draft.full_name = next(iter(draft.urls + draft.emails), None)
    return draft


def withheld(draft: Draft) -> bool:
    """LinkedIn blanks every field but `Connected On` for members who opted out of exports."""
    return not draft.full_name
