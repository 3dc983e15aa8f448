"""Feed tokens (salt and hash, never the token) and the fingerprint of what a feed shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.db import hot
from api.db.tables import Circle, FeedToken


@dataclass(frozen=True, slots=True)
class Token:
    id: int
    user_id: int
    salt: str
    token_hash: str
    created_at: dt.datetime
    last_fetched_at: dt.datetime | None
    last_user_agent: str | None


def _token(row: Mapping[str, Any]) -> Token:
    return Token(
        id=row["id"],
        user_id=int(row["user"]),
        salt=row["salt"],
        token_hash=row["token_hash"],
        created_at=row["created_at"],
        last_fetched_at=row["last_fetched_at"],
        last_user_agent=row["last_user_agent"],
    )


async def active(user_id: int) -> Token | None:
    row = (
        await FeedToken.select()
        .where((FeedToken.user == user_id) & FeedToken.revoked_at.is_null())
        .first()
        .run()
    )
    return None if row is None else _token(row)


async def insert(user_id: int, salt: str, hashed: str, now: dt.datetime) -> None:
    await FeedToken.insert(
        FeedToken(user=user_id, salt=salt, token_hash=hashed, created_at=now)
    ).run()


async def revoke(user_id: int, now: dt.datetime) -> None:
    await (
        FeedToken.update({FeedToken.revoked_at: now})
        .where((FeedToken.user == user_id) & FeedToken.revoked_at.is_null())
        .run()
    )


# Every poll of a feed reads its token: prepared SQL (api/db/hot.py).
_BY_HASH = (
    'SELECT id, "user", salt, token_hash, created_at, last_fetched_at, last_user_agent'
    f" FROM {FeedToken._meta.tablename} WHERE token_hash = ? AND revoked_at IS NULL"
)


async def by_hash(hashed: str) -> Token | None:
    """The token not revoked with this hash."""
    row = await hot.fetch_one(_BY_HASH, (hashed,), types="....tt.")
    if row is None:
        return None
    return Token(row[0], int(row[1]), row[2], row[3], row[4], row[5], row[6])


async def record_fetch(token_id: int, now: dt.datetime, user_agent: str | None) -> None:
    await (
        FeedToken.update({FeedToken.last_fetched_at: now, FeedToken.last_user_agent: user_agent})
        .where(FeedToken.id == token_id)
        .run()
    )


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """`key` changes whenever anything the feed shows changes; `timezone` is the user's;
    `changed_at` the latest change among reminders, contacts and follow-ups."""

    key: tuple[Any, ...]
    timezone: str | None
    changed_at: dt.datetime


# One pass over each table's rows of the user (their index on "user"), all of that table's
# aggregates at once: as ten scalar subqueries it read each user's reminders three times and
# contacts three times (~1.5x the time per feed request).
_FINGERPRINT_SQL = """
SELECT r.n, r.changed, r.sequences, c.n, c.changed, c.healths, f.n, f.changed,
  u.alarm_hour, u.timezone
FROM (SELECT count(*) AS n, max(changed_at) AS changed, sum(sequence) AS sequences
      FROM reminder WHERE "user" = ?) r
CROSS JOIN (SELECT count(*) AS n, max(updated_at) AS changed, sum(health) AS healths
      FROM contact WHERE "user" = ?) c
CROSS JOIN (SELECT count(*) AS n, max(changed_at) AS changed
      FROM follow_up WHERE "user" = ?) f
LEFT JOIN kith_user u ON u.id = ?
"""
_CIRCLE_NAMES = f'SELECT id, name FROM {Circle._meta.tablename} WHERE "user" = ? ORDER BY id'
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


async def fingerprint(user_id: int) -> Fingerprint:
    """Cheap aggregates and the circles' names (a 304 answer costs these and the token lookup,
    nothing else). The feed shows each contact's circle name, and renaming a circle changes no
    contact row, so the names are part of the key themselves."""
    row = (await hot.fetch(_FINGERPRINT_SQL, [user_id] * 4))[0]
    circles = await hot.fetch(_CIRCLE_NAMES, (user_id,))
    data = (*row, tuple((c[0], c[1]) for c in circles))
    changed = [_EPOCH]
    for value in (data[1], data[4], data[7]):
        if isinstance(value, str):  # SQLite returns aggregates of timestamps as text
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            changed.append(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    return Fingerprint(key=data, timezone=data[9], changed_at=max(changed))
