"""Each run records the server it talked to: URL without credentials, and version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from etl.db import open_database
from etl.schema import metadata
from etl.simulator import SimServer
from etl.simulator.routes_auth import SERVER_VERSION
from etl.sync import run_sync
from etl.sync.engine import public_url
from tests.sync.helpers import make_client, make_settings


def test_sync_records_server_url_and_version(serve: Callable[..., SimServer], db_url: str) -> None:
    server = serve()
    # A URL with credentials in it: they must not reach the run log.
    secret_url = server.url.replace("http://", "http://etl:s3cret@")
    engine = open_database(db_url)
    try:
        with make_client(secret_url, server.ws.credentials["admin"]) as client:
            summary = run_sync(make_settings(secret_url, db_url), client, engine, ["roles"])
        runs = metadata.tables["sync_runs"]
        with engine.connect() as conn:
            row = conn.execute(select(runs.c.server_url, runs.c.server_version)).one()
    finally:
        engine.dispose()
    assert summary.status == "ok"
    assert row.server_url == server.url.rstrip("/")
    assert row.server_version == SERVER_VERSION
    assert "s3cret" not in str(tuple(row))


def test_public_url_drops_only_the_credentials() -> None:
    cases: dict[str, Any] = {
        "https://u:p@chat.example.org:8443/rc": "https://chat.example.org:8443/rc",
        "https://u@chat.example.org": "https://chat.example.org",
        "https://chat.example.org/rc": "https://chat.example.org/rc",
    }
    assert {url: public_url(url) for url in cases} == cases
