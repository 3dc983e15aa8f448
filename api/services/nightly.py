"""The nightly job (filled in with import sources and rescoring)."""

from __future__ import annotations

import datetime as dt

from api.settings import Settings


async def run_due_users(settings: Settings, now: dt.datetime) -> None:
    return None
