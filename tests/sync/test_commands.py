"""The commands (`rcetl sync`, `status`, `reconcile`, `demo`), the progress display, a limited
token, and the automatic reconciliation after the trash lifetime."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from rich.console import Console
from sqlalchemy import update

from etl.cli.main import cli
from etl.config import ALL_RESOURCES
from etl.schema import metadata
from etl.sync import run_sync
from etl.sync.progress import RichProgress
from tests.sync.helpers import (
    assert_level_with_server,
    deleted_ids,
    expected_messages,
    live_rows,
    make_client,
    pick_messages,
)


def rcetl(server: Any, db_url: str, *args: str) -> Any:
    creds = server.ws.credentials["admin"]
    env = {"RCETL_TOKEN": creds["token"], "RCETL_USER_ID": creds["user_id"]}
    base = ["--server-url", server.url, "--database-url", db_url]
    return CliRunner().invoke(cli, [*base, *args], env=env, catch_exceptions=False)


def test_sync_status_and_reconcile_commands(serve: Any, sqlite_url: str) -> None:
    server = serve()
    result = rcetl(server, sqlite_url, "sync", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "ok" and summary["counts"]["messages"]["upserted"] > 500
    status = json.loads(rcetl(server, sqlite_url, "status", "--json").stdout)
    by_name = {row["resource"]: row for row in status["resources"]}
    assert by_name["messages"]["rows"] == summary["counts"]["messages"]["upserted"]
    assert by_name["rooms"]["status"] == "complete" and by_name["rooms"]["watermark"]
    assert {room["id"] for room in status["unreadable_rooms"]} == set(summary["unreadable_rooms"])
    assert status["last_runs"][0]["id"] == summary["run_id"]
    text = rcetl(server, sqlite_url, "status").output
    assert "cannot read" in text and "messages" in text
    result = rcetl(server, sqlite_url, "reconcile", "messages")
    assert result.exit_code == 0 and "reconcile run" in result.output


def test_rich_progress_on_a_terminal(sqlite_syncer: Any) -> None:
    sync = sqlite_syncer()
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=140)
    with (
        make_client(sync.server.url, sync.creds) as client,
        RichProgress(client, console) as progress,
    ):
        summary = run_sync(sync.settings, client, sync.engine, progress=progress)
    assert summary.status == "ok"
    shown = out.getvalue()
    assert "messages" in shown and "req" in shown and "rate-limit waits" in shown


def test_limited_token_syncs_what_it_can_read(sqlite_syncer: Any) -> None:
    sync = sqlite_syncer(who="user")
    summary = sync.run()
    assert summary.status == "ok", summary.errors
    ws, uid = sync.server.ws, sync.creds["user_id"]
    rooms = set(live_rows(sync.engine, "rooms"))
    # Without view-room-administration, team channels the user has not joined cannot be
    # enumerated (channels.list hides them); every other readable room is found.
    hidden_team_channels = ws.readable_room_ids(uid) - rooms
    assert all(ws.rooms[rid].get("teamId") for rid in hidden_team_channels)
    expected, _ = expected_messages(ws, uid)
    found = {k for k, doc in expected.items() if doc["rid"] in rooms}
    assert set(live_rows(sync.engine, "messages")) == found
    # Integrations need manage-*-integrations, statistics view-statistics, and a plain user has no
    # omnichannel permission: those resources are skipped (reported, not failed).
    omnichannel = {name for name in ALL_RESOURCES if name.startswith("livechat_")}
    admin_only = {"integrations", "integration_history", "server_statistics"}
    assert set(summary.skipped) == omnichannel | admin_only and summary.unreadable_rooms == {}


def test_a_sync_after_the_trash_lifetime_reconciles(sqlite_syncer: Any) -> None:
    sync = sqlite_syncer()
    sync.run()
    ws = sync.server.ws
    room = sorted(ws.readable_room_ids(sync.creds["user_id"]))[0]
    hidden = pick_messages(ws, room, 1)[0]
    ws.mutate.hide_message(hidden)  # reaches no delta
    state = metadata.tables["sync_state"]
    long_ago = datetime.now(UTC) - timedelta(days=31)
    with sync.engine.begin() as conn:
        conn.execute(update(state).values(updated_at=long_ago))
    summary = sync.run()
    assert "messages" in summary.reconciled and summary.status == "ok"
    assert hidden in deleted_ids(sync.engine, "messages")
    assert_level_with_server(sync.engine, ws, sync.creds)


def test_demo_syncs_the_simulator_into_sqlite(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--size", "tiny", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "rcetl.db").is_file()
    assert "messages" in result.output and "rcetl.db" in result.output
