"""Nightly CalDAV sources: the events of each calendar inside a bounded window go through the
calendar-meetings pipeline (api/services/meetings.py), as an `.ics` import does: past meetings
with contacts become interactions, future ones `planned` events that hold reminders back.

The window (RFC 4791 section 9.9 time-range) is the one `.ics` imports use; only events whose
ETag changed since the last run are fetched (calendar-multiget), and the meetings pipeline's
dedup keys (UID + occurrence, per contact) make a re-read event add nothing. The ETags are stored
in the write transaction that applied the events.
"""

from __future__ import annotations

import datetime as dt

import anyio

from api.db import write_transaction
from api.schemas import CollectionOut, IssueOut
from api.services import meetings
from api.services.dav_client import Account, DavError, calendar_etags, multiget
from api.services.users import UserInfo
from api.store.sync_state import CollectionState, load_state, save_state
from pipeline.formats.dav.changes import compare
from pipeline.formats.dispatch import parse_export
from pipeline.models import CalendarInteraction, ParseResult, UnreadableFile

PAST = dt.timedelta(days=3 * 365)  # as api/services/imports.py: older meetings add nothing
FUTURE = dt.timedelta(days=90)  # the scheduler's horizon


def _parse(
    user: UserInfo, href: str, data: str, window: tuple[dt.datetime, dt.datetime]
) -> tuple[list[CalendarInteraction], list[IssueOut]]:
    try:
        result = parse_export(
            data.encode(),
            fmt="ics",
            own_emails=frozenset(user.own_emails),
            calendar_window=window,
        )
    except UnreadableFile as exc:
        return [], [IssueOut(line=0, message=str(exc), file=href)]
    issues = [IssueOut(line=i.line, message=i.message, file=href) for i in result.issues]
    return list(result.interactions or []), issues


async def sync_events(
    user: UserInfo,
    source_id: int,
    account: Account,
    calendars: tuple[CollectionOut, ...],
    now: dt.datetime,
) -> tuple[dict[str, int], list[IssueOut]]:
    window = (now - PAST, now + FUTURE)
    items: list[CalendarInteraction] = []
    issues: list[IssueOut] = []
    states: list[tuple[str, CollectionState]] = []
    for cal in calendars:
        state = await load_state(source_id, cal.href)
        listed = await calendar_etags(account, cal.href, *window)
        changes = compare(listed, {h: e for h, (e, _u) in state.members.items()})
        # An event that was still ahead last time is read again once it has passed, so its
        # planned interaction becomes a meeting (the second value of a member: its last start).
        passed = {
            h
            for h, (_e, last) in state.members.items()
            if last and last <= now.astimezone(dt.UTC).isoformat()
        }
        wanted = sorted(set(changes.changed) | (passed & set(listed)))
        try:
            fetched = await multiget(account, "caldav", cal.href, wanted)
        except DavError as exc:
            raise DavError(f"the server failed while sending the changed events ({exc})") from None
        members = {h: v for h, v in state.members.items() if h in listed}
        for href, (etag, data) in sorted(fetched.items()):
            found, problems = await anyio.to_thread.run_sync(_parse, user, href, data, window)
            items += found
            issues += problems
            ahead = [i.at for i in found if i.at > now]
            last = max(ahead).astimezone(dt.UTC).isoformat() if ahead else ""
            members[href] = (etag or listed.get(href, ""), last)
        states.append((cal.href, CollectionState(None, members)))
    result = ParseResult(format="ics", interactions=items)
    async with write_transaction():
        counts = await meetings.apply_calendar(user, result, now)
        for href, new_state in states:
            await save_state(source_id, href, new_state)
    return counts, issues
