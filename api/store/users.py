"""Accounts: the user's settings (MeOut, what /api/auth/me serves) and the password hash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.db import hot
from api.db.tables import User
from api.jsonutil import dump, load_list
from api.schemas import MeOut

_LISTS = frozenset({"weekday_factors", "own_emails"})
_COLUMNS = tuple(User._meta.get_column_by_name(f) for f in MeOut.__struct_fields__)
# Every signed-in request reads its user: prepared SQL (api/db/hot.py), MeOut's field order.
_GET = f"SELECT {', '.join(MeOut.__struct_fields__)} FROM {User._meta.tablename} WHERE id = ?"
_FLOATS = MeOut.__struct_fields__.index("weekday_factors")
_EMAILS = MeOut.__struct_fields__.index("own_emails")


def _out(row: Mapping[str, Any]) -> MeOut:
    return MeOut(
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


async def get(user_id: int) -> MeOut | None:
    row = await hot.fetch_one(_GET, (user_id,))
    if row is None:
        return None
    values = list(row)
    values[_FLOATS] = [float(x) for x in load_list(values[_FLOATS])]
    values[_EMAILS] = [str(x) for x in load_list(values[_EMAILS])]
    return MeOut(*values)


async def by_email(address: str) -> MeOut | None:
    row = await User.select(*_COLUMNS).where(User.email == address).first().run()
    return None if row is None else _out(row)


async def all_users() -> list[MeOut]:
    """Every account, by id."""
    rows = await User.select(*_COLUMNS).order_by(User.id).run()
    return [_out(r) for r in rows]


async def count() -> int:
    return int(await User.count().run())


async def email_taken(address: str) -> bool:
    return bool(await User.exists().where(User.email == address).run())


async def insert(address: str, password_hash: str, *, timezone: str, region: str) -> int:
    row = User(
        email=address,
        password_hash=password_hash,
        timezone=timezone,
        region=region,
        own_emails=dump([address]),
    )
    got = await User.insert(row).returning(User.id).run()
    return int(got[0]["id"])


async def password_hash(address: str) -> tuple[int, str] | None:
    """(id, password hash) of the account with this address."""
    row = await User.select(User.id, User.password_hash).where(User.email == address).first().run()
    return None if row is None else (int(row["id"]), str(row["password_hash"]))


async def set_password_hash(user_id: int, hashed: str) -> None:
    await User.update({User.password_hash: hashed}).where(User.id == user_id).run()


async def update(user_id: int, values: Mapping[str, Any]) -> None:
    """Settings by field name; the list fields are stored as JSON text."""
    columns: dict[Any, Any] = {
        User._meta.get_column_by_name(k): dump(v) if k in _LISTS else v for k, v in values.items()
    }
    await User.update(columns).where(User.id == user_id).run()


async def lock_accounts() -> None:
    """Inside a write transaction: hold off every other account creation until it ends, so a
    "no account yet" check stays true until the insert. SQLite's IMMEDIATE transaction already
    holds the one write lock; PostgreSQL needs the table lock (SHARE ROW EXCLUSIVE conflicts
    with itself and with every insert)."""
    if User._meta.db.engine_type == "postgres":
        await User.raw("LOCK TABLE kith_user IN SHARE ROW EXCLUSIVE MODE").run()
