"""Fixtures of the hostile-server tests: a scripted server on loopback and a runner that syncs
it into SQLite or PostgreSQL (`db_url`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from etl.db import open_database
from etl.schema import metadata
from etl.state import load_checkpoint
from etl.sync import SyncSummary, run_sync
from tests.hostile.server import TOKEN, USER, HostileServer, Script
from tests.sync.helpers import make_client, make_settings


class Hostile:
    """One hostile server and one database; `run()` is one `run_sync`."""

    def __init__(self, server: HostileServer, db_url: str, **sync: Any) -> None:
        self.server = server
        self.script = server.script
        self.settings = make_settings(server.url, db_url, **sync)
        self.engine: Engine = open_database(db_url)

    def run(self, resources: list[str] | None = None, **retry: Any) -> SyncSummary:
        creds = {"user_id": USER["_id"], "token": TOKEN}
        with make_client(self.server.url, creds, **retry) as client:
            return run_sync(self.settings, client, self.engine, resources or ["messages"])

    def rows(self, table: str) -> dict[str, Any]:
        t = metadata.tables[table]
        with self.engine.connect() as conn:
            query = select(t.c.id, t.c.raw).where(t.c.deleted_at.is_(None))
            return {row.id: row.raw for row in conn.execute(query)}

    def quarantine(self) -> list[Any]:
        q = metadata.tables["quarantine"]
        with self.engine.connect() as conn:
            return list(conn.execute(select(q).order_by(q.c.id)))

    def checkpoint(self, resource: str, scope: str = "") -> Any:
        with self.engine.connect() as conn:
            return load_checkpoint(conn, resource, scope)

    def run_row(self, run_id: int | None) -> Any:
        runs = metadata.tables["sync_runs"]
        with self.engine.connect() as conn:
            return conn.execute(select(runs).where(runs.c.id == run_id)).one()


@pytest.fixture
def hostile(db_url: str) -> Iterator[Callable[..., Hostile]]:
    """Factory `hostile(script, **sync settings)`: a started server and its database."""
    made: list[Hostile] = []

    def make(script: Script | None = None, **sync: Any) -> Hostile:
        made.append(Hostile(HostileServer(script).start(), db_url, **sync))
        return made[-1]

    yield make
    for item in made:
        item.server.stop()
        item.engine.dispose()
