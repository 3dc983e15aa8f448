"""The day_log table (issue 13): each contact's credited days as its last full scoring found
them, so that logging an interaction rescores that contact without reading its history."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T16:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "day_log: one row of scoring's credited days per contact"

_SQLITE = """CREATE TABLE IF NOT EXISTS day_log (
    id INTEGER PRIMARY KEY,
    "user" INTEGER NOT NULL REFERENCES kith_user (id) ON DELETE CASCADE,
    contact INTEGER NOT NULL UNIQUE REFERENCES contact (id) ON DELETE CASCADE,
    data BLOB NOT NULL
)"""
_POSTGRES = """CREATE TABLE IF NOT EXISTS day_log (
    id SERIAL PRIMARY KEY,
    "user" INTEGER NOT NULL REFERENCES kith_user (id) ON DELETE CASCADE,
    contact INTEGER NOT NULL UNIQUE REFERENCES contact (id) ON DELETE CASCADE,
    data BYTEA NOT NULL
)"""
_INDEX = 'CREATE INDEX IF NOT EXISTS day_log_user ON day_log ("user")'


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        await engine.run_ddl(_POSTGRES if engine.engine_type == "postgres" else _SQLITE)
        await engine.run_ddl(_INDEX)

    async def run_backwards() -> None:
        await engine_finder().run_ddl("DROP TABLE IF EXISTS day_log")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
