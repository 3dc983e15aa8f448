"""pipeline/__init__.py is the core's public surface: pinned here, so changing it is deliberate."""

from __future__ import annotations

import importlib

import pipeline

# name -> the module that defines it (the surface re-exports, it never redefines).
SURFACE = {
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


def test_the_public_surface_is_exactly_the_pinned_names() -> None:
    assert sorted(pipeline.__all__) == sorted(SURFACE)
    assert len(set(pipeline.__all__)) == len(pipeline.__all__), "a name listed twice"


def test_each_public_name_is_the_object_its_home_module_defines() -> None:
    for name, home in SURFACE.items():
        assert getattr(pipeline, name) is getattr(importlib.import_module(home), name), name


def test_a_star_import_gives_the_surface_and_nothing_else() -> None:
    namespace: dict[str, object] = {}
    exec("from pipeline import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(SURFACE)
