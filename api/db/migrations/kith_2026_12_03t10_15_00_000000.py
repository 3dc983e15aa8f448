"""The contact's score state: what the last full scoring left for the nightly run (issue 13:
rescore only what changed; pipeline/strength/incremental.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T10:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "contact.score_state: the stored aggregates of the last full scoring"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Contact",
        tablename="contact",
        column_name="score_state",
        db_column_name="score_state",
        column_class_name="Text",
        column_class=Text,
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
