"""Helpers shared by handlers: the signed-in user and the app's clock and settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request

from api.clock import Clock
from api.services.users import UserInfo
from api.settings import Settings


def current_user(request: Request[Any, Any, Any]) -> UserInfo:
    user = request.user
    assert isinstance(user, UserInfo)
    return user


def now(request: Request[Any, Any, Any]) -> dt.datetime:
    clock: Clock = request.app.state.clock
    return clock()


def settings(request: Request[Any, Any, Any]) -> Settings:
    value: Settings = request.app.state.settings
    return value
