"""The contacts list's index (issue 13): a user's contacts by (archived, full_name, id), so the
page of 50 is read in order and stops after 50 rows, and its total is counted from the index
alone, instead of every account's unarchived contacts read through `contact_archived` and sorted.
Today's reminders by (user, state, day) likewise."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T10:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes on contact (user, archived, full_name, id) and reminder (user, state, day)"

_INDEXES = [
    (
        "ix_contact_user_list",
        'CREATE INDEX IF NOT EXISTS ix_contact_user_list ON contact ("user", archived, full_name, id)',
    ),
    (
        "ix_reminder_user_state_day",
        'CREATE INDEX IF NOT EXISTS ix_reminder_user_state_day ON reminder ("user", state, day)',
    ),
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)

    async def run() -> None:
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
