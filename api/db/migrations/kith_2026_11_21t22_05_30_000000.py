"""Unique indexes Piccolo's auto-migrations cannot create on SQLite (tech.md pitfall 8)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-21T22:05:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes for contact keys, interaction dedup keys and reminders"

_INDEXES = [
    ("uq_contact_key", 'CREATE UNIQUE INDEX IF NOT EXISTS uq_contact_key ON contact_key ("user", kind, value)'),
    (
        "uq_interaction_dedup",
        'CREATE UNIQUE INDEX IF NOT EXISTS uq_interaction_dedup ON interaction ("user", dedup_key)',
    ),
    ("uq_reminder_contact", 'CREATE UNIQUE INDEX IF NOT EXISTS uq_reminder_contact ON reminder (contact)'),
    ("uq_circle_name", 'CREATE UNIQUE INDEX IF NOT EXISTS uq_circle_name ON circle ("user", name)'),
    ("uq_met_person", 'CREATE UNIQUE INDEX IF NOT EXISTS uq_met_person ON met_person ("user", email)'),
    ("ix_interaction_contact_at", "CREATE INDEX IF NOT EXISTS ix_interaction_contact_at ON interaction (contact, at)"),
    ("ix_reminder_user_day", 'CREATE INDEX IF NOT EXISTS ix_reminder_user_day ON reminder ("user", day)'),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)

    async def run() -> None:
        # The engine is looked up on every run (not cached on a Table class), so a process that
        # migrates SQLite and then PostgreSQL (the test suite) indexes both.
        engine = engine_finder()
        for _, sql in _INDEXES:
            await engine.run_ddl(sql)

    async def run_backwards() -> None:
        engine = engine_finder()
        for name, _ in _INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
