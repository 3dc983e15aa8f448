"""Kith's pure core: parse exports, plan imports, score ties, schedule reminders, render the feed.

No I/O, no environment, no clock, nothing of `api`, Litestar or Piccolo (checked by the
import-linter contracts in pyproject.toml). The names below are the surface the shell uses;
tests/pipeline/test_public_surface.py pins them, so a rename here is a deliberate act.
"""

from __future__ import annotations

from pipeline.feed.render import BirthdayItem, FeedCalendar, FollowUpItem, ReminderItem, render_feed
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
