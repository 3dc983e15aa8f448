"""import_card: a large file's card remembered by its bytes too, so that a re-import does not
read a card it read before (issue 13: a re-import costs little more than reading the file)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "import_card.body, given, version: cards recognised by their bytes"


def _params(default: object, null: bool, **extra: object) -> dict[str, object]:
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
        **extra,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="kith", description=DESCRIPTION)
    columns = [
        ("body", "Varchar", Varchar, _params(None, True, length=32)),
        ("given", "Integer", Integer, _params(0, False)),
        ("version", "Varchar", Varchar, _params("", False, length=8)),
    ]
    for name, class_name, column_class, params in columns:
        manager.add_column(
            table_class_name="ImportCard",
            tablename="import_card",
            column_name=name,
            db_column_name=name,
            column_class_name=class_name,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
