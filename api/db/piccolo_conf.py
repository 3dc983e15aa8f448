"""Piccolo's configuration module (PICCOLO_CONF=api.db.piccolo_conf): the engine comes from Settings.

`DB` is built on first access, not at import: importing this module must not touch the disk (the
SQLite engine creates its folder), and `api.db.configure(settings)` replaces `DB` before any
query runs, so a database chosen by code rather than the environment never builds this one.
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["api.db.piccolo_app"])


def __getattr__(name: str) -> Any:
    """PEP 562: only reached while `DB` is not yet set (configure() sets it as a plain global)."""
    if name != "DB":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from api.db.engines import build_engine
    from api.settings import Settings

    engine = build_engine(Settings.from_env())
    globals()["DB"] = engine
    return engine
