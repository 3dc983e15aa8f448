"""Helpers shared by handlers: the signed-in user and the app's clock and settings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response
from litestar.params import Parameter

from api.clock import Clock
from api.schemas import ImportReportOut
from api.services.users import UserInfo
from api.settings import Settings

MAX_ID = 2**31 - 1  # PostgreSQL's serial ids are int4: anything larger is a 400, not a 500
IdPath = Annotated[int, Parameter(ge=1, le=MAX_ID)]


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


def accepted(report: ImportReportOut) -> Response[ImportReportOut]:
    """202: the work is queued; poll the run at its Location until it is no longer queued or
    running."""
    return Response(report, status_code=202, headers={"Location": f"/api/imports/{report.id}"})
