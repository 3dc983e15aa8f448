"""Sessions are keyed by the SHA-256 of their id (api/db/session_store.py): hash the keys of the
sessions already stored, so nobody is signed out by the upgrade. No column changes (a 64-digit
hex digest fits the Varchar(200)); there is no way back, so backwards does nothing."""

import hashlib

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial, Varchar
from piccolo.table import Table

ID = "2026-12-03T07:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "session keys are stored as SHA-256 digests of the session ids"


async def hash_session_keys() -> None:
    # The table as this migration knows it, not api.db.tables (which may change later).
    class KVSession(Table, tablename="kv_session"):
        id = Serial(primary_key=True)
        key = Varchar(length=200, unique=True)

    rows = await KVSession.select(KVSession.id, KVSession.key).run()
    for row in rows:
        digest = hashlib.sha256(str(row["key"]).encode()).hexdigest()
        await KVSession.update({KVSession.key: digest}).where(KVSession.id == row["id"]).run()


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)
    manager.add_raw(hash_session_keys)
    return manager
