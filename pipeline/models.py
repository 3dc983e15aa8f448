"""Plain records that cross the pipeline's boundary: what parsers produce and services persist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """A problem with one card, row or line; the rest of the file still imports."""

    line: int
    message: str


@dataclass(slots=True)
class ContactRecord:
    """One person (or organisation) as read from an export, already normalized.

    Field names follow the `kith import --dry-run --json` contract (DESIGN.md section 7).
    `birthday` is `YYYY-MM-DD`, or `--MM-DD` when the year is unknown.
    `connected_on` is an ISO date (LinkedIn's `Connected On`), else None.
    """

    source_uid: str | None = None
    full_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    organization: str | None = None
    title: str | None = None
    birthday: str | None = None
    note: str | None = None
    groups: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    connected_on: str | None = None
    # Not part of the JSON contract, kept for persistence:
    nickname: str | None = None
    photo: bytes | None = None  # raw image bytes as found (thumbnailed by the api shell)
    line: int = 0  # 1-based line where the card or row starts, for issues and the import report

    def contract_dict(self) -> dict[str, object]:
        """The Contact object of the CLI's --dry-run --json output."""
        return {
            "source_uid": self.source_uid,
            "full_name": self.full_name,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "emails": list(self.emails),
            "phones": list(self.phones),
            "organization": self.organization,
            "title": self.title,
            "birthday": self.birthday,
            "note": self.note,
            "groups": list(self.groups),
            "urls": list(self.urls),
            "connected_on": self.connected_on,
        }


@dataclass(frozen=True, slots=True)
class CalendarInteraction:
    """A meeting read from a calendar export (.ics), before it is matched to contacts.

    `key` is stable across re-imports (UID plus RECURRENCE-ID), so the same meeting never counts twice.
    `emails` are the other people present (casefolded), organizer included, the user excluded.
    """

    at: dt.datetime
    kind: str
    emails: tuple[str, ...]
    attendee_count: int
    key: str
    summary: str = ""

    def contract_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "emails": list(self.emails),
            "attendee_count": self.attendee_count,
            "key": self.key,
        }


@dataclass(slots=True)
class ParseResult:
    """What one file yields: its detected format, the records and the per-record issues."""

    format: str
    contacts: list[ContactRecord] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    interactions: list[CalendarInteraction] | None = None


class UnreadableFile(Exception):
    """The whole file cannot be read (binary, empty, unknown format): one clear message."""
