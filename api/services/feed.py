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

from api.db import write_transaction
from api.db.tables import Contact, FeedToken, FollowUp, Reminder
from api.errors import NotFound
from api.security import token_hash
from api.services.strength import PLANNED, tz_of
from api.services.users import UserInfo, get_user
from api.settings import Settings
from pipeline.feed.render import BirthdayItem, FeedCalendar, FollowUpItem, ReminderItem, render_feed
from pipeline.feed.subscribe import qr_svg, subscription_links

log = logging.getLogger("kith.feed")
FEED_NAME = "Kith reconnects"
FETCH_RECORD_INTERVAL = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class FeedInfo:
    https_url: str
    webcal_url: str
    google_url: str
    outlook_url: str
    outlook_work_url: str
    qr_svg: str
    created_at: dt.datetime
    last_fetched_at: dt.datetime | None
    last_user_agent: str | None


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    gzipped: bytes
    etag: str
    last_modified: dt.datetime


def derive_token(secret_key: str, salt: str) -> str:
    mac = hmac.new(secret_key.encode(), f"kith-feed:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()  # 256 bits


def feed_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/feed/{token}/kith.ics"


async def _active(user_id: int) -> dict[str, Any] | None:
    return (
        await FeedToken.select()
        .where((FeedToken.user == user_id) & FeedToken.revoked_at.is_null())
        .first()
        .run()
    )


async def _create(settings: Settings, user_id: int, now: dt.datetime) -> dict[str, Any]:
    salt = secrets.token_hex(16)
    token = derive_token(settings.secret_key, salt)
    await FeedToken.insert(
        FeedToken(user=user_id, salt=salt, token_hash=token_hash(token), created_at=now)
    ).run()
    row = await _active(user_id)
    assert row is not None
    return row


async def feed_info(settings: Settings, user_id: int, now: dt.datetime) -> FeedInfo:
    """The subscription links; the first call creates the user's one active token."""
    async with write_transaction():
        row = await _active(user_id) or await _create(settings, user_id, now)
    url = feed_url(settings, derive_token(settings.secret_key, row["salt"]))
    links = subscription_links(url, FEED_NAME)
    return FeedInfo(
        https_url=links.https,
        webcal_url=links.webcal,
        google_url=links.google,
        outlook_url=links.outlook,
        outlook_work_url=links.outlook_work,
        qr_svg=qr_svg(links.webcal, title="Subscribe to Kith in your calendar"),
        created_at=row["created_at"],
        last_fetched_at=row["last_fetched_at"],
        last_user_agent=row["last_user_agent"],
    )


async def rotate(settings: Settings, user_id: int, now: dt.datetime) -> FeedInfo:
    await revoke(user_id, now)
    return await feed_info(settings, user_id, now)


async def revoke(user_id: int, now: dt.datetime) -> None:
    await (
        FeedToken.update({FeedToken.revoked_at: now})
        .where((FeedToken.user == user_id) & FeedToken.revoked_at.is_null())
        .run()
    )


async def user_for_token(token: str) -> tuple[int, dict[str, Any]]:
    """The token's owner; NotFound for unknown or revoked tokens (same answer for both)."""
    if not 20 <= len(token) <= 100:
        raise NotFound("no such feed")
    row = (
        await FeedToken.select()
        .where((FeedToken.token_hash == token_hash(token)) & FeedToken.revoked_at.is_null())
        .first()
        .run()
    )
    if row is None:
        raise NotFound("no such feed")
    return int(row["user"]), row


async def record_fetch(row: dict[str, Any], user_agent: str | None, now: dt.datetime) -> None:
    """Last fetch time and client, written at most every few minutes (a feed is polled often)."""
    last = row["last_fetched_at"]
    agent = (user_agent or "")[:300] or None
    if last is not None and now - last < FETCH_RECORD_INTERVAL and row["last_user_agent"] == agent:
        return
    await (
        FeedToken.update({FeedToken.last_fetched_at: now, FeedToken.last_user_agent: agent})
        .where(FeedToken.id == row["id"])
        .run()
    )


FeedCache = dict[int, tuple[tuple[Any, ...], RenderedFeed]]


_FINGERPRINT_SQL = """
SELECT
  (SELECT count(*) FROM reminder WHERE "user" = {}) AS reminders,
  (SELECT max(changed_at) FROM reminder WHERE "user" = {}) AS reminders_changed,
  (SELECT sum(sequence) FROM reminder WHERE "user" = {}) AS sequences,
  (SELECT count(*) FROM contact WHERE "user" = {}) AS contacts,
  (SELECT max(updated_at) FROM contact WHERE "user" = {}) AS contacts_changed,
  (SELECT sum(health) FROM contact WHERE "user" = {}) AS healths,
  (SELECT count(*) FROM follow_up WHERE "user" = {}) AS follow_ups,
  (SELECT max(changed_at) FROM follow_up WHERE "user" = {}) AS follow_ups_changed,
  (SELECT alarm_hour FROM kith_user WHERE id = {}) AS alarm_hour,
  (SELECT timezone FROM kith_user WHERE id = {}) AS timezone
"""


async def _fingerprint(user_id: int) -> tuple[Any, ...]:
    """Changes whenever anything the feed shows changes: one query of cheap aggregates (a 304
    answer costs this and the token lookup, nothing else). Renaming a circle touches its
    contacts' updated_at, so it shows here too."""
    row = (await Reminder.raw(_FINGERPRINT_SQL, *([user_id] * 10)).run())[0]
    return tuple(row.values())


async def rendered_feed(
    settings: Settings, user_id: int, now: dt.datetime, cache: FeedCache
) -> RenderedFeed:
    """The feed's bytes, rendered again only when the data changed (a per-process cache that
    the app owns: the fingerprint is a few aggregate queries, far cheaper than a render)."""
    data = await _fingerprint(user_id)
    today = now.astimezone(ZoneInfo(data[-1] or "UTC")).date()
    key = (today, *data)
    held = cache.get(user_id)
    if held is not None and held[0] == key:
        return held[1]
    body = await _render(settings, await get_user(user_id), today)
    changed = [dt.datetime(2000, 1, 1, tzinfo=dt.UTC)]
    for value in (data[1], data[4], data[7]):
        if isinstance(value, str):  # SQLite returns aggregates of timestamps as text
            value = dt.datetime.fromisoformat(value)
        if isinstance(value, dt.datetime):
            changed.append(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    result = RenderedFeed(
        body=body,
        # mtime=0: the compressed bytes are as deterministic as the feed itself.
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag='"' + hashlib.sha256(body).hexdigest()[:40] + '"',
        last_modified=max(changed),
    )
    cache[user_id] = (key, result)
    return result


async def _render(settings: Settings, user: UserInfo, today: dt.date) -> bytes:
    tz = tz_of(user)
    horizon = today + dt.timedelta(days=90)
    rows = (
        await Reminder.select(
            Reminder.uid,
            Reminder.contact,
            Reminder.day,
            Reminder.sequence,
            Reminder.changed_at,
            Reminder.contact.full_name.as_alias("name"),
            Reminder.contact.circle.name.as_alias("circle"),  # type: ignore[union-attr]
            Reminder.contact.health.as_alias("health"),
            Reminder.contact.last_kind.as_alias("last_kind"),
            Reminder.contact.last_at.as_alias("last_at"),
        )
        .where(
            (Reminder.user == user.id)
            & (Reminder.state == PLANNED)
            & (Reminder.day >= today - dt.timedelta(days=7))
            & (Reminder.day <= horizon)
        )
        .run()
    )
    reminders = [
        ReminderItem(
            uid=r["uid"],
            contact_id=r["contact"],
            name=r["name"],
            day=r["day"],
            sequence=r["sequence"],
            changed_at=r["changed_at"],
            circle=r["circle"],
            health=r["health"],
            last_kind=r["last_kind"],
            last_on=r["last_at"].astimezone(tz).date() if r["last_at"] else None,
            note=None,  # private notes never leave Kith for a calendar provider
        )
        for r in rows
    ]
    people = (
        await Contact.select(Contact.id, Contact.full_name, Contact.birthday, Contact.updated_at)
        .where(
            (Contact.user == user.id) & Contact.birthday.is_not_null() & Contact.archived.eq(False)
        )
        .run()
    )
    birthdays = [
        BirthdayItem(p["id"], p["full_name"], p["birthday"], p["updated_at"]) for p in people
    ]
    follow = (
        await FollowUp.select(
            FollowUp.id,
            FollowUp.contact,
            FollowUp.contact.full_name.as_alias("name"),
            FollowUp.what,
            FollowUp.due_on,
            FollowUp.changed_at,
        )
        .where((FollowUp.user == user.id) & FollowUp.done.eq(False))
        .run()
    )
    followups = [
        FollowUpItem(f["id"], f["contact"], f["name"], f["what"], f["due_on"], f["changed_at"])
        for f in follow
    ]
    cal = FeedCalendar(
        user_key=hashlib.sha256(f"kith-user:{user.id}".encode()).hexdigest()[:16],
        name=FEED_NAME,
        base_url=settings.base_url,
        alarm_hour=user.alarm_hour,
    )
    return render_feed(cal, reminders, birthdays, followups, today=today)
