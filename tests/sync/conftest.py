"""Fixtures of the sync tests: a fresh tiny workspace served over loopback HTTP, and a factory that
runs the engine against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from etl.db import open_database
from etl.simulator import SimOptions, SimServer, build_workspace
from etl.sync import SyncSummary, run_sync
from tests.sync.helpers import make_client, make_settings


@pytest.fixture
def workspace() -> Any:
    ws = build_workspace(seed=7, size="tiny")
    return ws


@pytest.fixture
def serve(workspace: Any) -> Iterator[Callable[..., SimServer]]:
    servers: list[SimServer] = []

    def start(options: SimOptions | None = None) -> SimServer:
        server = SimServer(workspace, options or SimOptions(), host="127.0.0.1", port=0)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Syncer:
    """Runs `run_sync` against one server and one database, as a given user."""

    def __init__(self, server: SimServer, db_url: str, who: str = "admin", **sync: Any) -> None:
        self.server = server
        self.creds = server.ws.credentials[who]
        self.settings = make_settings(server.url, db_url, **sync)
        self.engine = open_database(db_url)

    def run(self, resources: list[str] | None = None, **kwargs: Any) -> SyncSummary:
        with make_client(self.server.url, self.creds) as client:
            return run_sync(self.settings, client, self.engine, resources, **kwargs)

    def close(self) -> None:
        self.engine.dispose()


def _factory(serve: Callable[..., SimServer], url: str) -> Iterator[Callable[..., Syncer]]:
    made: list[Syncer] = []

    def make(options: SimOptions | None = None, who: str = "admin", **sync: Any) -> Syncer:
        made.append(Syncer(serve(options), url, who, **sync))
        return made[-1]

    yield make
    for item in made:
        item.close()


@pytest.fixture
def syncer(serve: Callable[..., SimServer], db_url: str) -> Iterator[Callable[..., Syncer]]:
    """A Syncer factory on SQLite and on PostgreSQL (the test runs once per dialect)."""
    yield from _factory(serve, db_url)


@pytest.fixture
def sqlite_syncer(
    serve: Callable[..., SimServer], sqlite_url: str
) -> Iterator[Callable[..., Syncer]]:
    """A Syncer factory on SQLite only, for behaviour that does not depend on the dialect."""
    yield from _factory(serve, sqlite_url)
