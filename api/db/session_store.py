"""A Litestar session store in the database, so every app process shares sign-ins.

Rows are keyed by the SHA-256 of the session id, never the id itself: the cookie holds the id, a
copy of the database (a backup, a dump, a SQL log with its parameters) holds nothing that signs
anyone in. The id has 256 random bits, so a plain hash needs no salt or stretching.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from litestar.stores.base import Store

from api.db import hot
from api.db.tables import KVSession

# Every signed-in request reads its session: prepared SQL (api/db/hot.py), not a Piccolo query.
_GET = f"SELECT value, expires_at FROM {KVSession._meta.tablename} WHERE key = ?"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stored_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class DatabaseStore(Store):
    async def set(
        self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        expires_at = None
        if expires_in is not None:
            seconds = (
                expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else expires_in
            )
            expires_at = _utcnow() + dt.timedelta(seconds=seconds)
        await (
            KVSession.insert(KVSession(key=stored_key(key), value=data, expires_at=expires_at))
            .on_conflict(
                target=KVSession.key,
                action="DO UPDATE",
                values=[KVSession.value, KVSession.expires_at],
            )
            .run()
        )

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        row = await hot.fetch_one(_GET, (stored_key(key),), types=".t")
        if row is None:
            return None
        value, expires_at = row
        if expires_at is not None and expires_at <= _utcnow():
            await self.delete(key)
            return None
        if renew_for is not None and expires_at is not None:
            seconds = (
                renew_for.total_seconds() if isinstance(renew_for, dt.timedelta) else renew_for
            )
            await (
                KVSession.update({KVSession.expires_at: _utcnow() + dt.timedelta(seconds=seconds)})
                .where(KVSession.key == stored_key(key))
                .run()
            )
        return bytes(value) if value is not None else None

    async def delete(self, key: str) -> None:
        await KVSession.delete().where(KVSession.key == stored_key(key)).run()

    async def delete_all(self) -> None:
        await KVSession.delete(force=True).run()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = (
            await KVSession.select(KVSession.expires_at)
            .where(KVSession.key == stored_key(key))
            .first()
            .run()
        )
        if row is None or row["expires_at"] is None:
            return None
        return int((row["expires_at"] - _utcnow()).total_seconds())

    async def purge_expired(self) -> None:
        await KVSession.delete().where(KVSession.expires_at < _utcnow()).run()
