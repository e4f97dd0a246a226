"""A token that cannot enumerate every room says so: `rcetl check`, the run summary (`rcetl sync`
and `sync_runs`), `rcetl status` and the archive manifest name the missing permission and what it
hides; an admin token's view is complete and none of it appears."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from etl.cli.main import cli
from etl.db import open_database
from etl.schema.bookkeeping import SyncRun
from etl.schema.synced import Room

MISSING = ("view-all-teams", "view-room-administration")


def rcetl(server: Any, who: str, db_url: str, *args: str) -> Any:
    creds = server.ws.credentials[who]
    env = {"RCETL_TOKEN": creds["token"], "RCETL_USER_ID": creds["user_id"], "COLUMNS": "200"}
    base = ["--server-url", server.url, "--database-url", db_url]
    return CliRunner().invoke(cli, [*base, *args], env=env, catch_exceptions=False)


def _hidden_rooms(ws: Any, who: str) -> set[str]:
    """Rooms the user neither joined nor may list as a public channel outside private teams."""
    uid = ws.credentials[who]["user_id"]
    return {
        rid
        for rid, room in ws.rooms.items()
        if not ws.is_subscribed(uid, rid) and (room["t"] != "c" or room.get("teamId"))
    }


@pytest.mark.parametrize("who", ["user", "admin"])
def test_a_partial_view_is_reported_everywhere(
    serve: Any, db_url: str, tmp_path: Path, who: str
) -> None:
    server = serve()
    limited = who == "user"

    check = rcetl(server, who, db_url, "check", "--json")
    report = json.loads(check.stdout)
    assert sorted(report["view_limits"]) == (list(MISSING) if limited else [])
    rooms_probe = next(r for r in report["resources"] if r["resource"] == "rooms")
    assert rooms_probe["readable"]
    assert ("view-room-administration" in rooms_probe["detail"]) == limited
    text = rcetl(server, who, db_url, "check").output
    assert ("partial view: the token lacks view-room-administration" in text) == limited

    sync = rcetl(server, who, db_url, "sync")
    assert sync.exit_code == 0, sync.output
    for permission in MISSING:
        assert (f"partial view: the token lacks {permission}" in sync.stderr) == limited
    summary = json.loads(rcetl(server, who, db_url, "sync", "--json").stdout)
    assert summary["status"] == "ok"
    assert sorted(summary["view_limits"]) == (list(MISSING) if limited else [])
    engine = open_database(db_url)
    with engine.connect() as conn:
        recorded = conn.execute(select(SyncRun.view_limits).order_by(SyncRun.id)).scalars().all()
        rooms = set(conn.execute(select(Room.id)).scalars())
    engine.dispose()
    assert len(recorded) == 2
    assert all(sorted(limits or {}) == (list(MISSING) if limited else []) for limits in recorded)
    hidden = _hidden_rooms(server.ws, who) if limited else set()
    assert rooms == set(server.ws.rooms) - hidden and (hidden or not limited)

    status = json.loads(rcetl(server, who, db_url, "status", "--json").stdout)
    assert sorted(status["view_limits"]) == (list(MISSING) if limited else [])
    status_text = rcetl(server, who, db_url, "status").output
    assert ("cannot see private groups" in status_text) == limited

    out = tmp_path / "archive"
    assert rcetl(server, who, db_url, "export", "archive", "--out", str(out)).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["view_limits"]) == (list(MISSING) if limited else [])
    if limited:
        hides = manifest["view_limits"]["view-room-administration"]
        assert "private groups" in hides and "direct messages" in hides


def test_a_later_complete_run_clears_the_limit(serve: Any, sqlite_url: str) -> None:
    """`rcetl status` reports the newest run that listed rooms: the user's, then the admin's."""
    server = serve()
    assert rcetl(server, "user", sqlite_url, "sync").exit_code == 0
    rooms_only = rcetl(
        server, "user", sqlite_url, "sync", "users"
    )  # lists no room: changes nothing
    assert rooms_only.exit_code == 0
    status = json.loads(rcetl(server, "admin", sqlite_url, "status", "--json").stdout)
    assert sorted(status["view_limits"]) == list(MISSING)
    assert rcetl(server, "admin", sqlite_url, "sync").exit_code == 0
    status = json.loads(rcetl(server, "admin", sqlite_url, "status", "--json").stdout)
    assert status["view_limits"] == {}
