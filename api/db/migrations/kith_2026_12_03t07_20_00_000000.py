"""Indexes for the hot paths' lookups by user and by interaction (issue 13: every hot-path
query indexed, whatever the number of accounts)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T07:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes on follow_up (user, done), follow_up (interaction) and interaction (user)"

_INDEXES = [
    ("ix_follow_up_user_done", 'CREATE INDEX IF NOT EXISTS ix_follow_up_user_done ON follow_up ("user", done)'),
    ("ix_follow_up_interaction", "CREATE INDEX IF NOT EXISTS ix_follow_up_interaction ON follow_up (interaction)"),
    ("ix_interaction_user", 'CREATE INDEX IF NOT EXISTS ix_interaction_user ON interaction ("user")'),
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
