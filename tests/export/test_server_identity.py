"""An archive names the server from the sync run log when the caller does not pass it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from etl.client import Credentials, RocketChatClient
from etl.config import load_settings
from etl.export import export_archive
from etl.simulator.routes_auth import SERVER_VERSION
from etl.sync import run_sync


def test_archive_after_a_sync_names_the_server(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    server = sim_server(rate_limit=None)
    overrides = {"server.url": server.url, "database.url": str(db_engine.url)}
    settings = load_settings(None, overrides, environ={})
    admin = sim_workspace.credentials["admin"]
    creds = Credentials(user_id=admin["user_id"], token=admin["token"])
    with RocketChatClient(server.url, creds) as client:
        summary = run_sync(settings, client, db_engine, ["settings", "roles"])
    assert summary.status == "ok", summary.errors

    export_archive(db_engine, str(tmp_path / "archive"))
    manifest = json.loads((tmp_path / "archive" / "manifest.json").read_bytes())
    assert manifest["server"] == {"url": server.url.rstrip("/"), "version": SERVER_VERSION}


def test_values_passed_by_the_caller_win(db_engine: sa.Engine, tmp_path: Path) -> None:
    with db_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sync_runs (kind, started_at, server_url, server_version) "
                "VALUES ('sync', CURRENT_TIMESTAMP, 'https://old.example', '6.0.0')"
            )
        )
    export_archive(db_engine, str(tmp_path / "a"), server_version="7.1.0")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_bytes())
    assert manifest["server"] == {"url": "https://old.example", "version": "7.1.0"}
