"""First run (DESIGN.md section 10): while no account exists, a one-time link creates the first
account in the browser. The code lives in the data folder (api/store/setup_code.py), so a
restart prints the same link; it goes when the first account is made."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.errors import BadRequest, Conflict, Forbidden
from api.schemas import GuideOut, SetupStatusOut
from api.security import tokens_equal
from api.services import users
from api.services.users import UserInfo
from api.settings import Settings
from api.store import guide, setup_code

WRONG_CODE = (
    "this setup link is not the current one: use the link `kith serve` printed, "
    "or run `kith setup-link`"
)
TAKEN = "an account already exists: sign in, or ask its owner (`kith user add EMAIL`)"


def link_for(settings: Settings, code: str) -> str:
    return f"{settings.base_url}/#/setup?code={code}"


async def is_open() -> bool:
    return await users.count_users() == 0


async def setup_link(settings: Settings) -> str | None:
    """The link while no account exists (its code made on first ask), else None."""
    if not await is_open():
        return None
    return link_for(settings, setup_code.read_or_create(settings.data_dir))


def _code_matches(settings: Settings, code: str) -> bool:
    expected = setup_code.read(settings.data_dir)
    return bool(code) and expected is not None and tokens_equal(code, expected)


async def status(settings: Settings, code: str | None) -> SetupStatusOut:
    open_ = await is_open()
    return SetupStatusOut(open=open_, code_valid=open_ and _code_matches(settings, code or ""))


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"unknown time zone {name!r}") from None
    return name


def _region(code: str, default: str) -> str:
    region = code.strip().upper()
    if not region:
        return default
    if len(region) != 2 or not region.isalpha():
        raise BadRequest("region must be a two-letter country code")
    return region


async def create_first_account(
    settings: Settings, *, code: str, email: str, password: str, timezone: str, region: str
) -> UserInfo:
    """The first account, only with the current code and while no account exists: Conflict
    once any account exists (however it was made), Forbidden for a missing or wrong code."""
    if not await is_open():
        raise Conflict(TAKEN)
    if not _code_matches(settings, code):
        raise Forbidden(WRONG_CODE)
    user = await users.create_user(
        email,
        password,
        timezone=_timezone(timezone or "UTC"),
        region=_region(region, settings.default_region),
        default_region=settings.default_region,
        only_if_first=True,
    )
    setup_code.discard(settings.data_dir)
    return user


async def guide_progress(user_id: int) -> GuideOut:
    """Where a new account stands on the three first steps (DESIGN.md section 10)."""
    contacts, placed, fetched = await guide.progress(user_id)
    return GuideOut(
        contacts=contacts,
        in_circle=placed,
        feed_fetched=fetched,
        done=contacts > 0 and placed > 0 and fetched,
    )
