"""Rescoring and rescheduling (filled in when pipeline scoring lands)."""

from __future__ import annotations

import datetime as dt

from api.services.users import UserInfo


async def refresh_contact(user: UserInfo, contact_id: int, now: dt.datetime) -> None:
    return None
