from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "an import run records the nightly run (attempt) that ran it, for a retry to take over"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)
    manager.add_column(
        table_class_name="ImportRun",
        tablename="import_run",
        column_name="nightly_run",
        db_column_name="nightly_run",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
