"""Piccolo app registration (its migrations folder and tables)."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from api.db.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="kith",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
