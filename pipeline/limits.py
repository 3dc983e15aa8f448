"""How long a contact's text may be: one set of limits for both engines (issue 12).

PostgreSQL refuses a value longer than its `varchar(n)` column and SQLite stores it anyway, so
the limits are applied before the database sees a value: the API answers 400 naming the field
and its limit (api/schemas.py), and an import cuts the field and says so on the card's line
(`clip_records`). api/db/tables.py sizes its columns from these numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from pipeline.models import ContactRecord, ImportIssue

FIELD_MAX: dict[str, int] = {
    "full_name": 300,
    "given_name": 200,
    "family_name": 200,
    "nickname": 200,
    "organization": 300,
    "title": 300,
}
# RFC 5321 section 4.5.3.1.3: a path is at most 256 octets, angle brackets included.
EMAIL_MAX = 254
PHONE_MAX = 100  # a number as written, extensions and all; only E.164 forms become keys
KEY_MAX = 400  # contact_key.value
CIRCLE_NAME_MAX = 100
LABEL_MAX = 200  # a nightly source's label
TIMEZONE_MAX = 64  # IANA names are at most 32 characters today
IDEMPOTENCY_KEY_MAX = 200
ATTENDEE_NAME_MAX = 300  # met_person.name
_HASH_HEX = 64


def bounded_key(prefix: str, rest: str, limit: int = KEY_MAX) -> str:
    """`prefix + rest`, or when that is longer than `limit`, `prefix`, the start of `rest` and a
    SHA-256 of all of `rest`: the same input always gives the same key, so re-imports match,
    and two long values that share a start do not collide. `prefix` (a namespace) is kept
    whole so archiving can still tell a source's keys by their start."""
    if len(prefix) + len(rest) <= limit:
        return prefix + rest
    digest = hashlib.sha256(rest.encode("utf-8", "surrogatepass")).hexdigest()
    keep = max(0, limit - len(prefix) - _HASH_HEX - 1)
    return f"{prefix}{rest[:keep]}#{digest}"[:limit]


def clip_records(
    records: Sequence[ContactRecord],
) -> tuple[list[ContactRecord], list[ImportIssue]]:
    """Records whose text fits the columns, and an issue on the card's line for each cut.

    A field longer than its limit is cut to it; an email address longer than any deliverable
    one is dropped (it could never be matched or mailed).
    """
    out: list[ContactRecord] = []
    issues: list[ImportIssue] = []
    for rec in records:
        changes: dict[str, object] = {}
        for name, limit in FIELD_MAX.items():
            value = getattr(rec, name)
            if value is not None and len(value) > limit:
                changes[name] = value[:limit].rstrip()
                issues.append(
                    ImportIssue(
                        rec.line, f"{name} is longer than {limit} characters: cut to {limit}"
                    )
                )
        emails = [e for e in rec.emails if len(e) <= EMAIL_MAX]
        if len(emails) != len(rec.emails):
            changes["emails"] = emails
            issues.append(
                ImportIssue(
                    rec.line, f"an email address is longer than {EMAIL_MAX} characters: dropped"
                )
            )
        out.append(replace(rec, **changes) if changes else rec)  # type: ignore[arg-type]
    return out, issues
