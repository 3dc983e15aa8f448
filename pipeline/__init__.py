"""Kith's pure core: parse exports, plan imports, score ties, schedule reminders, render the feed.

No I/O, no environment, no clock, nothing of `api`, Litestar or Piccolo (checked by the
import-linter contracts in pyproject.toml). The names below are the surface the shell uses;
tests/pipeline/test_public_surface.py pins them, so a rename here is a deliberate act.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.feed.items import BirthdayItem, FeedCalendar, FollowUpItem, ReminderItem
    from pipeline.feed.render import render_feed
    from pipeline.feed.subscribe import qr_svg, subscription_links
    from pipeline.formats.dispatch import FORMAT_CHOICES, detect_kind, parse_export
    from pipeline.identity.match import ExistingContact, ImportPlan, apply_plan, plan_import
    from pipeline.identity.merge import NamedContact, merge_contacts, merge_suggestions
    from pipeline.models import (
        CalendarInteraction,
        ContactRecord,
        ImportIssue,
        ParseResult,
        UnreadableFile,
    )
    from pipeline.normalize import clean_text, collapse_ws, normalize_email, normalize_phone
    from pipeline.strength.circles import DEFAULT_CIRCLES, UNTRIAGED_CIRCLE, Cadence, cadence_for
    from pipeline.strength.explain import half_life_in_words
    from pipeline.strength.schedule import (
        Plan,
        ScheduleItem,
        SchedulerConfig,
        cold_start_due_on,
        schedule,
    )
    from pipeline.strength.scoring import (
        DIRECTIONS,
        LIFECYCLE_KINDS,
        WEIGHTS,
        Assessment,
        Event,
        assess,
        health_series,
    )

__all__ = [
    "DEFAULT_CIRCLES",
    "DIRECTIONS",
    "FORMAT_CHOICES",
    "LIFECYCLE_KINDS",
    "UNTRIAGED_CIRCLE",
    "WEIGHTS",
    "Assessment",
    "BirthdayItem",
    "Cadence",
    "CalendarInteraction",
    "ContactRecord",
    "Event",
    "ExistingContact",
    "FeedCalendar",
    "FollowUpItem",
    "ImportIssue",
    "ImportPlan",
    "NamedContact",
    "ParseResult",
    "Plan",
    "ReminderItem",
    "ScheduleItem",
    "SchedulerConfig",
    "UnreadableFile",
    "apply_plan",
    "assess",
    "cadence_for",
    "clean_text",
    "cold_start_due_on",
    "collapse_ws",
    "detect_kind",
    "half_life_in_words",
    "health_series",
    "merge_contacts",
    "merge_suggestions",
    "normalize_email",
    "normalize_phone",
    "parse_export",
    "plan_import",
    "qr_svg",
    "render_feed",
    "schedule",
    "subscription_links",
]

# Each name's home, loaded on first use (PEP 562): a command that only imports contacts does
# not load the calendar and QR libraries the feed needs (kith's start-up is part of every import).
_HOMES = {
    "BirthdayItem": "pipeline.feed.items",
    "FeedCalendar": "pipeline.feed.items",
    "FollowUpItem": "pipeline.feed.items",
    "ReminderItem": "pipeline.feed.items",
    "render_feed": "pipeline.feed.render",
    "qr_svg": "pipeline.feed.subscribe",
    "subscription_links": "pipeline.feed.subscribe",
    "FORMAT_CHOICES": "pipeline.formats.dispatch",
    "detect_kind": "pipeline.formats.dispatch",
    "parse_export": "pipeline.formats.dispatch",
    "ExistingContact": "pipeline.identity.match",
    "ImportPlan": "pipeline.identity.match",
    "apply_plan": "pipeline.identity.match",
    "plan_import": "pipeline.identity.match",
    "NamedContact": "pipeline.identity.merge",
    "merge_contacts": "pipeline.identity.merge",
    "merge_suggestions": "pipeline.identity.merge",
    "CalendarInteraction": "pipeline.models",
    "ContactRecord": "pipeline.models",
    "ImportIssue": "pipeline.models",
    "ParseResult": "pipeline.models",
    "UnreadableFile": "pipeline.models",
    "clean_text": "pipeline.normalize",
    "collapse_ws": "pipeline.normalize",
    "normalize_email": "pipeline.normalize",
    "normalize_phone": "pipeline.normalize",
    "DEFAULT_CIRCLES": "pipeline.strength.circles",
    "UNTRIAGED_CIRCLE": "pipeline.strength.circles",
    "Cadence": "pipeline.strength.circles",
    "cadence_for": "pipeline.strength.circles",
    "half_life_in_words": "pipeline.strength.explain",
    "Plan": "pipeline.strength.schedule",
    "ScheduleItem": "pipeline.strength.schedule",
    "SchedulerConfig": "pipeline.strength.schedule",
    "cold_start_due_on": "pipeline.strength.schedule",
    "schedule": "pipeline.strength.schedule",
    "DIRECTIONS": "pipeline.strength.scoring",
    "LIFECYCLE_KINDS": "pipeline.strength.scoring",
    "WEIGHTS": "pipeline.strength.scoring",
    "Assessment": "pipeline.strength.scoring",
    "Event": "pipeline.strength.scoring",
    "assess": "pipeline.strength.scoring",
    "health_series": "pipeline.strength.scoring",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
