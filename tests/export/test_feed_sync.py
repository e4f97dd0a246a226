"""The real pipeline: sync a simulated server, change it, sync again; the feed replays to the DB."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import sqlalchemy as sa

from etl.client import Credentials, RocketChatClient
from etl.config import load_settings
from etl.export import export_archive, export_feed, verify_archive
from etl.schema import CHILD_TABLES, SYNCED_TABLES
from etl.simulator.clock import iso
from etl.sync import run_sync
from tests.export._data import arrow_rows, db_rows
from tests.export._replay import replay
from tests.export.test_archive import _read


def _sync(
    server: Any,
    ws: Any,
    engine: sa.Engine,
    policy: str = "keep",
    full: bool = False,
    resources: list[str] | None = None,
) -> None:
    overrides = {"server.url": server.url, "database.url": str(engine.url)}
    settings = load_settings(None, {**overrides, "sync.deletion_policy": policy}, environ={})
    admin = ws.credentials["admin"]
    creds = Credentials(user_id=admin["user_id"], token=admin["token"])
    with RocketChatClient(server.url, creds) as client:
        summary = run_sync(settings, client, engine, resources, full=full)
    assert summary.status == "ok", summary.errors


def _change_server(ws: Any, round_: int) -> None:
    admin = ws.credentials["admin"]["user_id"]
    readable = ws.readable_room_ids(admin)
    messages = ws.ground_truth()["messages"]
    mids = sorted(m for m, doc in messages.items() if doc["rid"] in readable and not doc.get("t"))
    ws.clock.advance(60)
    ws.mutate.edit_message(mids[round_], admin, f"edited in round {round_}")
    ws.mutate.react(mids[round_ + 10], admin, ":tada:")
    ws.mutate.delete_message(mids[round_ + 20], admin)  # gone to the trash: a deletion
    rid = messages[mids[0]]["rid"]
    ws.mutate.post_message(rid, admin, f"new in round {round_}")
    ws.clock.advance(60)


def first_feed(
    db_engine: sa.Engine, ws: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> tuple[Any, Path]:
    """A first sync of a fresh simulator and the first feed run after it: (server, feed)."""
    server = sim_server(rate_limit=None)
    out = tmp_path / "feed"
    _sync(server, ws, db_engine)
    assert export_feed(db_engine, str(out)).run == 1
    return server, out


def test_feed_over_real_syncs_replays_to_the_database(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    server, out = first_feed(db_engine, sim_workspace, sim_server, tmp_path)
    _change_server(sim_workspace, 1)
    _sync(server, sim_workspace, db_engine)
    second = export_feed(db_engine, str(out))
    assert second.run == 2 and 0 < second.changes["messages"] < 50
    assert second.deletions["messages"] >= 1
    _change_server(sim_workspace, 2)
    _sync(server, sim_workspace, db_engine, policy="purge")
    third = export_feed(db_engine, str(out))
    assert third.run == 3 and third.deletions["messages"] >= 1
    purged = pq.read_table(out / "messages" / "deletions" / "run-000003.parquet")
    assert any(purged.column("purged").to_pylist())

    assert verify_archive(str(out)) == []
    state = replay(out)
    for table in [*SYNCED_TABLES, *CHILD_TABLES]:
        assert state[table] == db_rows(db_engine, table), table
    assert len(state["messages"]) > 500

    archive = tmp_path / "archive"
    export_archive(db_engine, str(archive))
    assert verify_archive(str(archive)) == []
    assert arrow_rows(_read(archive, "messages"), "messages") == db_rows(db_engine, "messages")


def _unreadable(engine: sa.Engine) -> set[str]:
    return {r["id"] for r in db_rows(engine, "rooms").values() if not r["readable"]}


def test_readability_reaches_the_feed_and_only_when_it_changes(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    """The admin (roles admin, user) loses `view-c-room`: the channels it has not joined become
    unreadable while their room documents stay the same. The feed must carry the new
    `readable`, and a run that learns nothing new must not export the rooms again."""
    server = sim_server(rate_limit=None)
    out = tmp_path / "feed"
    _sync(server, sim_workspace, db_engine)
    export_feed(db_engine, str(out))
    before = _unreadable(db_engine)
    ws = sim_workspace
    permission = ws.permissions["view-c-room"]
    permission["roles"] = [r for r in permission["roles"] if r not in ("admin", "user")]
    ws.clock.advance(60)
    permission["_updatedAt"] = iso(ws.now())
    # Every room walked again (messages only: a member listing restamps its room anyway).
    _sync(server, ws, db_engine, full=True, resources=["messages"])
    second = export_feed(db_engine, str(out))
    unreadable = _unreadable(db_engine)
    assert unreadable - before, "revoking view-c-room made no room unreadable"
    assert second.changes.get("rooms", 0) == len(unreadable - before)
    state = replay(out)
    assert state["rooms"] == db_rows(db_engine, "rooms")
    assert {r["id"] for r in state["rooms"].values() if not r["readable"]} == unreadable

    ws.clock.advance(60)
    _sync(server, ws, db_engine, full=True, resources=["messages"])  # nothing changed
    third = export_feed(db_engine, str(out))
    assert third.changes.get("rooms", 0) == 0
    assert replay(out)["rooms"] == db_rows(db_engine, "rooms")
