"""Accounts: creation with the default circles, sign-in checks, per-user settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.db import write_transaction
from api.db.tables import User
from api.errors import BadRequest, Conflict, NotFound
from api.jsonutil import dump, load_list
from api.security import check_password_strength, hash_password, verify_password
from api.services.circles import create_default_circles
from pipeline.normalize import normalize_email


@dataclass(frozen=True)
class UserInfo:
    id: int
    email: str
    timezone: str
    region: str
    per_day_cap: int
    per_week_cap: int
    weekday_factors: list[float]
    alarm_hour: int | None
    nightly_hour: int
    own_emails: list[str]


def _info(row: dict[str, Any]) -> UserInfo:
    return UserInfo(
        id=row["id"],
        email=row["email"],
        timezone=row["timezone"],
        region=row["region"],
        per_day_cap=row["per_day_cap"],
        per_week_cap=row["per_week_cap"],
        weekday_factors=[float(x) for x in load_list(row["weekday_factors"])],
        alarm_hour=row["alarm_hour"],
        nightly_hour=row["nightly_hour"],
        own_emails=[str(x) for x in load_list(row["own_emails"])],
    )


_FIELDS = (
    User.id,
    User.email,
    User.timezone,
    User.region,
    User.per_day_cap,
    User.per_week_cap,
    User.weekday_factors,
    User.alarm_hour,
    User.nightly_hour,
    User.own_emails,
)


async def create_user(
    email: str, password: str, *, timezone: str = "UTC", region: str = "US"
) -> UserInfo:
    address = normalize_email(email)
    if address is None:
        raise BadRequest(f"{email!r} is not an email address")
    problem = check_password_strength(password)
    if problem:
        raise BadRequest(problem)
    async with write_transaction():
        if await User.exists().where(User.email == address).run():
            raise Conflict(f"an account for {address} already exists")
        row = (
            await User.insert(
                User(
                    email=address,
                    password_hash=hash_password(password),
                    timezone=timezone,
                    region=region,
                    own_emails=dump([address]),
                )
            )
            .returning(User.id)
            .run()
        )
        user_id = int(row[0]["id"])
        await create_default_circles(user_id)
    return await get_user(user_id)


async def get_user(user_id: int) -> UserInfo:
    row = await User.select(*_FIELDS).where(User.id == user_id).first().run()
    if row is None:
        raise NotFound("no such user")
    return _info(row)


async def find_user(email: str) -> UserInfo:
    address = normalize_email(email) or email.casefold()
    row = await User.select(*_FIELDS).where(User.email == address).first().run()
    if row is None:
        raise NotFound(f"no account for {email}")
    return _info(row)


async def count_users() -> int:
    return int(await User.count().run())


async def authenticate(email: str, password: str) -> UserInfo | None:
    address = normalize_email(email) or email.casefold()
    row = await User.select(User.id, User.password_hash).where(User.email == address).first().run()
    if not verify_password(row["password_hash"] if row else None, password) or row is None:
        return None
    return await get_user(int(row["id"]))


async def set_password(user_id: int, password: str) -> None:
    problem = check_password_strength(password)
    if problem:
        raise BadRequest(problem)
    await User.update({User.password_hash: hash_password(password)}).where(User.id == user_id).run()


async def update_settings(user_id: int, changes: dict[str, Any]) -> UserInfo:
    """Validated changes to timezone, caps, weekday factors, alarm and nightly hour, own emails."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    values: dict[Any, Any] = {}
    if "timezone" in changes:
        try:
            ZoneInfo(str(changes["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise BadRequest(f"unknown time zone {changes['timezone']!r}") from None
        values[User.timezone] = str(changes["timezone"])
    if "region" in changes:
        region = str(changes["region"]).upper()
        if len(region) != 2 or not region.isalpha():
            raise BadRequest("region must be a two-letter country code")
        values[User.region] = region
    for key, column, low, high in (
        ("per_day_cap", User.per_day_cap, 1, 50),
        ("per_week_cap", User.per_week_cap, 1, 200),
        ("nightly_hour", User.nightly_hour, 0, 23),
    ):
        if key in changes:
            value = int(changes[key])
            if not low <= value <= high:
                raise BadRequest(f"{key} must be between {low} and {high}")
            values[column] = value
    if "alarm_hour" in changes:
        alarm = changes["alarm_hour"]
        if alarm is not None and not 0 <= int(alarm) <= 23:
            raise BadRequest("alarm_hour must be between 0 and 23, or null for no alarm")
        values[User.alarm_hour] = None if alarm is None else int(alarm)
    if "weekday_factors" in changes:
        factors = [float(x) for x in changes["weekday_factors"]]
        if len(factors) != 7 or any(not 0 <= f <= 1 for f in factors) or not any(factors):
            raise BadRequest("weekday_factors must be 7 numbers between 0 and 1, not all 0")
        values[User.weekday_factors] = dump(factors)
    if "own_emails" in changes:
        emails = [normalize_email(str(e)) for e in changes["own_emails"]]
        if any(e is None for e in emails):
            raise BadRequest("own_emails must be email addresses")
        values[User.own_emails] = dump(sorted({e for e in emails if e}))
    if values:
        await User.update(values).where(User.id == user_id).run()
    return await get_user(user_id)
