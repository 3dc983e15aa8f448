"""Piccolo's configuration module (PICCOLO_CONF=api.db.piccolo_conf): the engine comes from Settings.

`DB` is built on first access, not at import: importing this module must not touch the disk (the
SQLite engine creates its folder), and `api.db.configure(settings)` replaces `DB` before any
query runs, so a database chosen by code rather than the environment never builds this one.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """PEP 562: only reached while `DB` or `APP_REGISTRY` is not yet set (configure() sets `DB`
    as a plain global). The registry is built when migrations first ask for it: Piccolo's
    `piccolo.conf.apps` imports black (~0.1 s), which no query needs (every `kith` command and
    server process started that much later)."""
    if name == "APP_REGISTRY":
        from piccolo.conf.apps import AppRegistry

        registry = AppRegistry(apps=["api.db.piccolo_app"])
        globals()["APP_REGISTRY"] = registry
        return registry
    if name != "DB":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from api.db.engines import build_engine
    from api.settings import Settings

    engine = build_engine(Settings.from_env())
    globals()["DB"] = engine
    return engine
