"""The subscribed calendar feed: secret tokens, rendering from Reminder rows, a per-user cache.

A token is HMAC-SHA256(secret key, random salt): the database keeps only the salt and the
token's SHA-256 (a leaked database alone reveals no feed URL), yet the owner's PWA can show the
URL again at any time. Rotating makes a new salt; the old URL answers 404 from then on.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from api.db import short_lock_transaction, write_transaction
from api.errors import NotFound
from api.schemas import FeedOut
from api.security import token_hash
from api.services.strength import tz_of
from api.services.users import UserInfo, get_user
from api.settings import Settings
from api.store import contacts as contact_store
from api.store import feed_tokens as store
from api.store import interactions as interaction_store
from api.store import reminders as reminder_store
from api.store.feed_tokens import Token
from pipeline.feed.items import FeedCalendar, ReminderItem
from pipeline.feed.render import render_feed
from pipeline.feed.subscribe import qr_svg, subscription_links

log = logging.getLogger("kith.feed")
FEED_NAME = "Kith reconnects"
FETCH_RECORD_INTERVAL = dt.timedelta(minutes=5)
FETCH_LOCK_TIMEOUT_MS = 200  # how long the fetch bookkeeping waits for a busy writer


FeedInfo = FeedOut  # the old name, for importers
KEY_CHANGED = (
    "The secret key changed since this link was made, so it cannot be shown again. Calendars "
    "already subscribed keep working; make a new link to subscribe again (the old link then "
    "stops working)."
)


@dataclass
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: dt.datetime
    _gzipped: bytes | None = None

    @property
    def gzipped(self) -> bytes:
        """Compressed on the first request that accepts gzip, then kept with the body: a feed
        re-rendered after each change of the book is often fetched by clients that never ask."""
        if self._gzipped is None:
            # mtime=0: the compressed bytes are as deterministic as the feed itself.
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


def derive_token(secret_key: str, salt: str) -> str:
    mac = hmac.new(secret_key.encode(), f"kith-feed:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()  # 256 bits


def feed_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/feed/{token}/kith.ics"


async def _create(settings: Settings, user_id: int, now: dt.datetime) -> Token:
    salt = secrets.token_hex(16)
    token = derive_token(settings.secret_key, salt)
    await store.insert(user_id, salt, token_hash(token), now)
    row = await store.active(user_id)
    assert row is not None
    return row


async def feed_info(settings: Settings, user_id: int, now: dt.datetime) -> FeedOut:
    """The subscription links; the first call creates the user's one active token."""
    async with write_transaction():
        row = await store.active(user_id) or await _create(settings, user_id, now)
    token = derive_token(settings.secret_key, row.salt)
    if not hmac.compare_digest(token_hash(token), row.token_hash):
        # The stored hash is of the token the old key made: that URL still works, but the one
        # this key derives would answer 404. Say so rather than show it.
        return FeedOut(
            https_url="",
            webcal_url="",
            google_url="",
            outlook_url="",
            outlook_work_url="",
            qr_svg="",
            created_at=row.created_at,
            last_fetched_at=row.last_fetched_at,
            last_user_agent=row.last_user_agent,
            key_changed=True,
            warning=KEY_CHANGED,
        )
    url = feed_url(settings, token)
    links = subscription_links(url, FEED_NAME)
    return FeedOut(
        https_url=links.https,
        webcal_url=links.webcal,
        google_url=links.google,
        outlook_url=links.outlook,
        outlook_work_url=links.outlook_work,
        qr_svg=qr_svg(links.webcal, title="Subscribe to Kith in your calendar"),
        created_at=row.created_at,
        last_fetched_at=row.last_fetched_at,
        last_user_agent=row.last_user_agent,
    )


async def rotate(settings: Settings, user_id: int, now: dt.datetime) -> FeedOut:
    await revoke(user_id, now)
    return await feed_info(settings, user_id, now)


async def revoke(user_id: int, now: dt.datetime) -> None:
    await store.revoke(user_id, now)


async def user_for_token(token: str) -> tuple[int, Token]:
    """The token's owner; NotFound for unknown or revoked tokens (same answer for both)."""
    if not 20 <= len(token) <= 100:
        raise NotFound("no such feed")
    row = await store.by_hash(token_hash(token))
    if row is None:
        raise NotFound("no such feed")
    return row.user_id, row


async def record_fetch(row: Token, user_agent: str | None, now: dt.datetime) -> None:
    """Last fetch time and client, written at most every few minutes (a feed is polled often).

    Runs after the feed was sent (a background task of the response) and is best effort: a
    calendar provider gives up on a slow feed long before an import lets go of the write lock,
    so this write waits a moment for its lock, then gives up and says so in the log; the next
    fetch records it."""
    last = row.last_fetched_at
    agent = (user_agent or "")[:300] or None
    if last is not None and now - last < FETCH_RECORD_INTERVAL and row.last_user_agent == agent:
        return
    try:
        async with short_lock_transaction(FETCH_LOCK_TIMEOUT_MS):
            await store.record_fetch(row.id, now, agent)
    except Exception as exc:  # nothing may fail after the answer was sent
        log.warning("feed fetch of user %s not recorded: %s", row.user_id, exc)


FeedCache = dict[int, tuple[tuple[Any, ...], RenderedFeed]]


async def rendered_feed(
    settings: Settings, user_id: int, now: dt.datetime, cache: FeedCache
) -> RenderedFeed:
    """The feed's bytes, rendered again only when the data changed (a per-process cache that
    the app owns: the fingerprint is a few aggregate queries, far cheaper than a render)."""
    mark = await store.fingerprint(user_id)
    today = now.astimezone(ZoneInfo(mark.timezone or "UTC")).date()
    key = (today, *mark.key)
    held = cache.get(user_id)
    if held is not None and held[0] == key:
        return held[1]
    body = await _render(settings, await get_user(user_id), today)
    result = RenderedFeed(
        body=body,
        etag='"' + hashlib.sha256(body).hexdigest()[:40] + '"',
        last_modified=mark.changed_at,
    )
    cache[user_id] = (key, result)
    return result


async def _render(settings: Settings, user: UserInfo, today: dt.date) -> bytes:
    tz = tz_of(user)
    horizon = today + dt.timedelta(days=90)
    rows = await reminder_store.for_feed(user.id, today - dt.timedelta(days=7), horizon)
    reminders = [
        ReminderItem(
            uid=r.uid,
            contact_id=r.contact_id,
            name=r.name,
            day=r.day,
            sequence=r.sequence,
            changed_at=r.changed_at,
            circle=r.circle,
            health=r.health,
            last_kind=r.last_kind,
            last_on=r.last_at.astimezone(tz).date() if r.last_at else None,
            note=None,  # private notes never leave Kith for a calendar provider
        )
        for r in rows
    ]
    birthdays = await contact_store.birthdays(user.id)
    followups = await interaction_store.feed_follow_ups(user.id)
    cal = FeedCalendar(
        user_key=hashlib.sha256(f"kith-user:{user.id}".encode()).hexdigest()[:16],
        name=FEED_NAME,
        base_url=settings.base_url,
        alarm_hour=user.alarm_hour,
    )
    return render_feed(cal, reminders, birthdays, followups, today=today)
