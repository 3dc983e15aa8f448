"""One import_card row per card of a source: a re-import looks its cards up by (user, source),
and a card's row is replaced, never doubled (issue 13)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T09:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on import_card (user, source, uid)"

_NAME = "ux_import_card_user_source_uid"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)

    async def run() -> None:
        await engine_finder().run_ddl(
            f'CREATE UNIQUE INDEX IF NOT EXISTS {_NAME} ON import_card ("user", source, uid)'
        )

    async def run_backwards() -> None:
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {_NAME}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
