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
from etl.sync import run_sync
from tests.export._data import arrow_rows, db_rows
from tests.export._replay import replay
from tests.export.test_archive import _read


def _sync(server: Any, ws: Any, engine: sa.Engine, policy: str = "keep") -> None:
    overrides = {"server.url": server.url, "database.url": str(engine.url)}
    settings = load_settings(None, {**overrides, "sync.deletion_policy": policy}, environ={})
    admin = ws.credentials["admin"]
    creds = Credentials(user_id=admin["user_id"], token=admin["token"])
    with RocketChatClient(server.url, creds) as client:
        summary = run_sync(settings, client, engine)
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


def test_feed_over_real_syncs_replays_to_the_database(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    server = sim_server(rate_limit=None)
    out = tmp_path / "feed"
    _sync(server, sim_workspace, db_engine)
    assert export_feed(db_engine, str(out)).run == 1
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
