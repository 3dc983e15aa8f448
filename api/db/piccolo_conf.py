"""Piccolo's configuration module (PICCOLO_CONF=api.db.piccolo_conf): the engine comes from Settings."""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from api.db.engines import build_engine
from api.settings import Settings

DB: Engine = build_engine(Settings.from_env())  # type: ignore[type-arg]
APP_REGISTRY = AppRegistry(apps=["api.db.piccolo_app"])
