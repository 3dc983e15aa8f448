"""What the feed publishes, as plain records (pipeline/feed/render.py turns them into iCalendar):
apart from the renderer so that the store can build them without loading the calendar library."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["BirthdayItem", "FeedCalendar", "FollowUpItem", "ReminderItem"]


@dataclass(frozen=True, slots=True)
class FeedCalendar:
    """Calendar-level settings; `user_key` is stable and non-personal (a hash, not an email)."""

    user_key: str
    name: str
    base_url: str
    alarm_hour: int | None = None
    refresh_hours: int = 6


@dataclass(frozen=True, slots=True)
class ReminderItem:
    """One published reminder; the caller bumps `sequence` whenever the day moves."""

    uid: str
    contact_id: int
    name: str
    day: dt.date
    sequence: int
    changed_at: dt.datetime
    circle: str | None
    health: int
    last_kind: str | None
    last_on: dt.date | None
    note: str | None


@dataclass(frozen=True, slots=True)
class BirthdayItem:
    """A contact's birthday, `YYYY-MM-DD` or `--MM-DD` (the import contract's form)."""

    contact_id: int
    name: str
    birthday: str
    changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FollowUpItem:
    """An open promise ("send the article") due on a day."""

    id: int
    contact_id: int
    name: str
    what: str
    due_on: dt.date
    changed_at: dt.datetime
