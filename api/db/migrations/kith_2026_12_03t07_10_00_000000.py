from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T07:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a nightly run records its error, its queue job and which attempt it was"


def _params(default, null):
    return {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)
    for name, cls, default, null in (
        ("error", Text, None, True),
        ("job_id", Integer, None, True),
        ("attempt", Integer, 0, False),
    ):
        manager.add_column(
            table_class_name="NightlyRun",
            tablename="nightly_run",
            column_name=name,
            db_column_name=name,
            column_class_name=cls.__name__,
            column_class=cls,
            params=_params(default, null),
            schema=None,
        )
    return manager
