"""What happens after a contact's schedule inputs change (circle, cadence, kin, archive).

Filled in by the strength service: rescore and reschedule that contact only.
"""

from __future__ import annotations

import datetime as dt

from api.services.users import UserInfo


async def contact_schedule_changed(user: UserInfo, contact_id: int, now: dt.datetime) -> None:
    from api.services.strength import refresh_contact

    await refresh_contact(user, contact_id, now)
