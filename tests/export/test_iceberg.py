"""Iceberg tables over real syncs of the simulator: they hold the live rows after every run,
whatever changed (edits, deletions under each policy, new rooms, a reconcile)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from etl.client import Credentials, RocketChatClient
from etl.config import load_settings
from etl.export.iceberg import (
    SEQ_TO,
    VERSION_PROPERTY,
    export_iceberg,
    table_position,
)
from etl.export.iceberg_catalog import IcebergOptions, open_catalog
from etl.export.manifest import tool_version
from etl.export.snapshot import max_change_seq
from etl.sync import reconcile, run_sync
from tests.export._data import arrow_rows
from tests.export._live import TABLES, live_db_rows


def sync(server: Any, ws: Any, engine: sa.Engine, policy: str, *, full: bool = False) -> None:
    overrides = {"server.url": server.url, "database.url": str(engine.url)}
    settings = load_settings(None, {**overrides, "sync.deletion_policy": policy}, environ={})
    admin = ws.credentials["admin"]
    creds = Credentials(user_id=admin["user_id"], token=admin["token"])
    with RocketChatClient(server.url, creds) as client:
        summary = (reconcile if full else run_sync)(settings, client, engine)
    assert summary.status == "ok", summary.errors


def change_server(ws: Any, round_: int) -> None:
    """Edits, a reaction, a deletion, a new message and a new room with members."""
    admin = ws.credentials["admin"]["user_id"]
    readable = ws.readable_room_ids(admin)
    messages = ws.ground_truth()["messages"]
    mids = sorted(m for m, doc in messages.items() if doc["rid"] in readable and not doc.get("t"))
    ws.clock.advance(60)
    ws.mutate.edit_message(mids[round_], admin, f"edited in round {round_}")
    ws.mutate.react(mids[round_ + 10], admin, ":tada:")
    reacted = next(m for m in mids if messages[m].get("reactions"))
    ws.mutate.delete_message(reacted, admin)  # a message with children goes to the trash
    ws.mutate.delete_message(mids[round_ + 20], admin)
    rid = messages[mids[0]]["rid"]
    ws.mutate.post_message(rid, admin, f"new in round {round_}")
    others = [u for u in ws.users if u != admin][:2]
    room = ws.mutate.create_room("c", f"iceberg-{round_}", admin, others)
    ws.mutate.post_message(room["_id"], admin, "first words")
    ws.clock.advance(60)


def options(engine: sa.Engine, warehouse: Path | str) -> IcebergOptions:
    return IcebergOptions(
        database_url=str(engine.url.render_as_string(False)), warehouse=str(warehouse)
    )


def assert_equal(engine: sa.Engine, opts: IcebergOptions) -> dict[str, int]:
    """Every Iceberg table read back with pyiceberg equals the live rows; returns row counts."""
    catalog = open_catalog(opts)
    counts = {}
    for name in TABLES:
        table = catalog.load_table((opts.namespace, name))
        held = arrow_rows(table.scan().to_arrow(), name)
        assert held == live_db_rows(engine, name), name
        counts[name] = len(held)
    return counts


def test_iceberg_tables_follow_syncs_under_every_policy(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    server = sim_server(rate_limit=None)
    opts = options(db_engine, tmp_path / "warehouse")
    sync(server, sim_workspace, db_engine, "keep")
    first = export_iceberg(db_engine, opts)
    assert set(first.tables) == set(TABLES)
    counts = assert_equal(db_engine, opts)
    assert counts["messages"] > 500 and counts["message_reactions"] > 0

    for round_, policy in enumerate(("keep", "redact", "purge"), start=1):
        change_server(sim_workspace, round_)
        sync(server, sim_workspace, db_engine, policy)
        result = export_iceberg(db_engine, opts)
        assert 0 < result.tables["messages"].appended < 50, policy
        assert not result.tables["messages"].rewritten
        assert_equal(db_engine, opts)

    sim_workspace.mutate.delete_room(
        sorted(sim_workspace.readable_room_ids(sim_workspace.credentials["admin"]["user_id"]))[-1]
    )
    sync(server, sim_workspace, db_engine, "purge", full=True)
    export_iceberg(db_engine, opts)
    assert_equal(db_engine, opts)

    again = export_iceberg(db_engine, opts)
    assert again.tables == {}  # nothing moved: no table is touched


def test_tables_record_version_positions_and_partitioning(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    server = sim_server(rate_limit=None)
    opts = options(db_engine, tmp_path / "warehouse")
    sync(server, sim_workspace, db_engine, "keep")
    export_iceberg(db_engine, opts)
    with db_engine.connect() as conn:
        high = max_change_seq(conn)
    catalog = open_catalog(opts)
    messages = catalog.load_table((opts.namespace, "messages"))
    assert messages.properties[VERSION_PROPERTY] == tool_version()
    assert table_position(messages) == high
    summary = messages.current_snapshot().summary
    assert summary is not None and summary.additional_properties[SEQ_TO] == str(high)
    [field] = messages.spec().fields
    assert (str(field.transform), field.name) == ("month", "ts_month")
    months = {f.file.partition[0] for f in messages.scan().plan_files()}
    assert len(months) > 1

    # DuckDB reads them: pyiceberg's DuckDB integration registers the scan as a view.
    con = duckdb.connect()
    messages.scan().to_duckdb("messages", connection=con)
    catalog.load_table((opts.namespace, "rooms")).scan().to_duckdb("rooms", connection=con)
    joined = con.execute("SELECT count(*) FROM messages m JOIN rooms r ON r.id = m.rid").fetchone()
    assert joined is not None and joined[0] == len(live_db_rows(db_engine, "messages"))
