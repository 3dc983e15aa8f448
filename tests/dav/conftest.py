"""Each DAV test runs against Radicale and against Xandikos (and, through `database`, on SQLite
and PostgreSQL); the servers live for the session, each test gets fresh collections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from api.app import create_app
from api.security import Cooldown
from tests.dav.servers import DavServer, fill

SERVERS = ["radicale", "xandikos"]
N = 300  # cards in the big address book


@pytest.fixture(scope="session", params=SERVERS)
def dav_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DavServer]:
    server = DavServer(request.param, tmp_path_factory.mktemp(request.param))
    yield server
    server.close()


@pytest.fixture(scope="session")
def book300(dav_server: DavServer) -> str:
    """One address book of 300 cards per server, filled once (a PUT is slow on these servers);
    a test that changes it puts it back."""
    url = dav_server.new_collection("carddav")
    fill(dav_server, url, N)
    return url


@pytest.fixture
def dav(dav_server: DavServer) -> DavServer:
    dav_server.proxy.reset()
    return dav_server


@pytest.fixture
def app(clean_db: Any, clock: Any, dav_server: DavServer) -> Any:
    """The servers are on this machine: the operator allows them (KITH_SOURCE_ALLOW_HOSTS)."""
    settings = replace(clean_db, source_allow_hosts=(dav_server.host,))
    app = create_app(settings, clock, migrate_on_start=False, start_scheduler=False)
    # The scenarios run one source several times in a row; the once-a-minute "run now" cooldown
    # has its own test (tests/api/test_sign_in.py).
    app.state.source_run_cooldown = Cooldown(0)
    return app
