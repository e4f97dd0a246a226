"""Omnichannel tables in the Parquet archive and the feed: typed columns (seconds as float64,
times as UTC timestamps), child tables beside their parents, and a closed chat as one change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from etl.export import export_archive, export_feed, verify_archive
from etl.export.arrow_schema import TIMESTAMP
from etl.simulator import livechat_writes as lw
from tests.export.test_archive import _read
from tests.export.test_feed_sync import _sync

TABLES = ["livechat_rooms", "livechat_departments", "livechat_visitors", "livechat_agents"]


def test_archive_and_feed_carry_the_omnichannel_tables(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    ws = sim_workspace
    server = sim_server(rate_limit=None)
    resources = ["rooms", "messages", "livechat_departments", "livechat_agents"]
    _sync(server, ws, db_engine, resources=[*resources, "livechat_rooms", "livechat_visitors"])
    chats = {rid: r for rid, r in ws.rooms.items() if r["t"] == "l"}

    archive = tmp_path / "archive"
    export_archive(db_engine, str(archive))
    assert verify_archive(str(archive)) == []
    rooms = _read(archive, "livechat_rooms")
    assert sorted(rooms.column("id").to_pylist()) == sorted(chats)
    schema = rooms.schema
    assert schema.field("first_response_time").type == pa.float64()
    assert schema.field("chat_duration").type == pa.float64()
    assert schema.field("closed_at").type == TIMESTAMP
    assert schema.field("open").type == pa.bool_()
    assert schema.field("response_count").type == pa.int64()
    by_id = {row["id"]: row for row in rooms.to_pylist()}
    closed = next(rid for rid, r in chats.items() if "closedAt" in r)
    assert by_id[closed]["chat_duration"] == chats[closed]["metrics"]["chatDuration"]
    tags = _read(archive, "livechat_room_tags")
    assert tags.num_rows == sum(len(r.get("tags", [])) for r in chats.values())
    assert _read(archive, "livechat_transfers").num_rows == 1
    for table in TABLES:
        assert _read(archive, table).num_rows > 0, table

    feed = tmp_path / "feed"
    assert export_feed(db_engine, str(feed)).run == 1
    chat = next(r for r in chats.values() if r.get("open") and "servedBy" in r)
    ws.clock.advance(60)
    lw.close_chat(ws, chat["_id"], chat["servedBy"]["_id"])
    _sync(server, ws, db_engine, resources=["livechat_rooms"])
    second = export_feed(db_engine, str(feed))
    assert second.changes["livechat_rooms"] == 1
    assert verify_archive(str(feed)) == []
