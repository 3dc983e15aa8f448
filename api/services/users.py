"""Accounts: creation with the default circles, sign-in checks, per-user settings."""

from __future__ import annotations

from typing import Any

from api.db import write_transaction
from api.errors import BadRequest, Conflict, NotFound
from api.schemas import MeOut
from api.security import check_password_strength, hash_password, verifier
from api.services.circles import create_default_circles
from api.store import users as store
from pipeline.limits import EMAIL_MAX
from pipeline.normalize import normalize_email
from pipeline.validate import region_code, region_problem, timezone_problem

# The account as every layer sees it: the struct /api/auth/me serves.
UserInfo = MeOut


DEFAULT_REGION = "US"


async def create_user(
    email: str,
    password: str,
    *,
    timezone: str = "UTC",
    region: str | None = None,
    default_region: str = DEFAULT_REGION,
    only_if_first: bool = False,
) -> UserInfo:
    """A new account with the default circles. `region` (for phone numbers) falls back to the
    caller's `default_region` (KITH_DEFAULT_REGION, wired by the callers that read Settings).
    `only_if_first`: Conflict unless no account exists (checked under a lock, so two first-run
    forms sent at once make one account)."""
    address = normalize_email(email)
    if address is None:
        raise BadRequest(f"{email!r} is not an email address")
    if len(address) > EMAIL_MAX:
        raise BadRequest(f"an email address has at most {EMAIL_MAX} characters")
    problem = (
        timezone_problem("timezone", timezone)
        or region_problem("region", region or default_region)
        or check_password_strength(password)
    )
    if problem:
        raise BadRequest(problem)
    async with write_transaction():
        if only_if_first:
            await store.lock_accounts()
            if await store.count() > 0:
                raise Conflict("an account already exists: sign in instead")
        if await store.email_taken(address):
            raise Conflict(f"an account for {address} already exists")
        user_id = await store.insert(
            address,
            hash_password(password),
            timezone=timezone,
            region=region_code(region or default_region) or DEFAULT_REGION,
        )
        await create_default_circles(user_id)
    return await get_user(user_id)


async def get_user(user_id: int) -> UserInfo:
    user = await store.get(user_id)
    if user is None:
        raise NotFound("no such user")
    return user


async def find_user(email: str) -> UserInfo:
    address = normalize_email(email) or email.casefold()
    user = await store.by_email(address)
    if user is None:
        raise NotFound(f"no account for {email}")
    return user


async def list_users() -> list[UserInfo]:
    """Every account, by id."""
    return await store.all_users()


async def count_users() -> int:
    return await store.count()


async def email_taken(email: str) -> bool:
    return await store.email_taken(email)


def account_key(email: str) -> str:
    """The account an email names, however it is spelled: sign-in looks it up, and the throttle
    counts it, under this one key (a new spelling must not buy new guesses)."""
    return normalize_email(email) or email.strip().casefold()


async def authenticate(email: str, password: str) -> UserInfo | None:
    """The account when the password is right. The check runs in a worker thread (see
    security.PasswordVerifier); an unknown email costs the same check as a wrong password."""
    held = await store.password_hash(account_key(email))
    if not await verifier.verify(held[1] if held else None, password) or held is None:
        return None
    return await get_user(held[0])


async def set_password(user_id: int, password: str) -> None:
    problem = check_password_strength(password)
    if problem:
        raise BadRequest(problem)
    await store.set_password_hash(user_id, hash_password(password))


async def update_settings(user_id: int, changes: dict[str, Any]) -> UserInfo:
    """Validated changes to timezone, caps, weekday factors, alarm and nightly hour, own emails."""
    values: dict[str, Any] = {}
    if "timezone" in changes:
        problem = timezone_problem("timezone", changes["timezone"])
        if problem:
            raise BadRequest(problem)
        values["timezone"] = changes["timezone"]
    if "region" in changes:
        problem = region_problem("region", changes["region"])
        if problem:
            raise BadRequest(problem)
        values["region"] = region_code(changes["region"])
    for key, low, high in (
        ("per_day_cap", 1, 50),
        ("per_week_cap", 1, 200),
        ("nightly_hour", 0, 23),
    ):
        if key in changes:
            value = int(changes[key])
            if not low <= value <= high:
                raise BadRequest(f"{key} must be between {low} and {high}")
            values[key] = value
    if "alarm_hour" in changes:
        alarm = changes["alarm_hour"]
        if alarm is not None and not 0 <= int(alarm) <= 23:
            raise BadRequest("alarm_hour must be between 0 and 23, or null for no alarm")
        values["alarm_hour"] = None if alarm is None else int(alarm)
    if "weekday_factors" in changes:
        factors = [float(x) for x in changes["weekday_factors"]]
        if len(factors) != 7 or any(not 0 <= f <= 1 for f in factors) or not any(factors):
            raise BadRequest("weekday_factors must be 7 numbers between 0 and 1, not all 0")
        values["weekday_factors"] = factors
    if "own_emails" in changes:
        emails = [normalize_email(str(e)) for e in changes["own_emails"]]
        if any(e is None for e in emails):
            raise BadRequest("own_emails must be email addresses")
        values["own_emails"] = sorted({e for e in emails if e})
    if values:
        await store.update(user_id, values)
    return await get_user(user_id)
