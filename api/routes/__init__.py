"""Thin Litestar handlers: validate, call one service, map to a schema."""

from __future__ import annotations

from typing import Any

from api.routes import auth, circles, contacts, feed, health, imports, interactions, merges, web

ROUTES: list[Any] = [
    health.health,
    auth.login,
    auth.logout,
    auth.me,
    auth.update_settings,
    contacts.list_contacts,
    contacts.create_contact,
    contacts.get_contact,
    contacts.get_photo,
    contacts.update_contact,
    contacts.archive_contact,
    contacts.unarchive_contact,
    circles.list_circles,
    circles.update_circle,
    interactions.log_interaction,
    interactions.list_interactions,
    interactions.delete_interaction,
    interactions.contact_strength,
    interactions.get_today,
    interactions.snooze,
    interactions.skip,
    interactions.done,
    interactions.follow_up_done,
    imports.upload_import,
    imports.list_imports,
    imports.get_import,
    imports.people_you_meet,
    imports.add_met_person,
    imports.dismiss_met_person,
    feed.calendar_feed,
    feed.feed_info,
    feed.rotate_feed,
    feed.revoke_feed,
    merges.list_suggestions,
    merges.merge,
    merges.dismiss,
    merges.undo,
    merges.list_sources,
    merges.create_source,
    merges.delete_source,
    merges.test_source,
    merges.update_source,
    merges.run_source,
    merges.nightly,
]
ROUTES += web.ROUTES
