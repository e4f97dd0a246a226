"""A reconcile writes only what changed: unchanged rows keep their `change_seq`, so the feed run
after it carries nothing, or only the rows that really changed (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from etl.export import export_feed
from etl.schema import CHILD_TABLES, SYNCED_TABLES
from tests.export.test_feed_sync import _sync, first_feed

# `server_statistics` takes one snapshot per sync run by design (issue 11: usage charted over
# time), so every run, a reconcile included, adds its one row there.
PER_RUN = {"server_statistics"}


def _markers(engine: sa.Engine) -> dict[str, dict[Any, int]]:
    """Every row's change_seq, per synced and child table (the per-run snapshots left out)."""
    from etl.schema import metadata

    out: dict[str, dict[Any, int]] = {}
    with engine.connect() as conn:
        for name in [n for n in [*SYNCED_TABLES, *CHILD_TABLES] if n not in PER_RUN]:
            t = metadata.tables[name]
            key = [c for c in t.primary_key.columns]
            rows = conn.execute(sa.select(*key, t.c.change_seq))
            out[name] = {tuple(row[:-1]): row[-1] for row in rows}
    return out


def test_reconcile_without_changes_exports_nothing_and_one_edit_exports_one_row(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    server, out = first_feed(db_engine, sim_workspace, sim_server, tmp_path)
    before = _markers(db_engine)

    _sync(server, sim_workspace, db_engine, full=True)  # a reconcile, nothing changed
    assert _markers(db_engine) == before
    result = export_feed(db_engine, str(out))
    # The counter moved (the reconcile's transactions took markers) but no row carries them.
    assert result.changes == {"server_statistics": 1} and result.deletions == {}
    assert [f.path for f in result.files if "server_statistics" not in f.path] == []

    ws = sim_workspace
    admin = ws.credentials["admin"]["user_id"]
    readable = ws.readable_room_ids(admin)
    messages = ws.ground_truth()["messages"]
    mid = sorted(
        m
        for m, doc in messages.items()
        if doc["rid"] in readable and not doc.get("t") and doc.get("reactions")
    )[0]
    ws.clock.advance(60)
    ws.mutate.edit_message(mid, admin, "edited before the reconcile")
    _sync(server, sim_workspace, db_engine, full=True)
    after = _markers(db_engine)
    changed = {
        name: sorted(key for key, seq in rows.items() if before[name].get(key) != seq)
        for name, rows in after.items()
    }
    changed = {name: keys for name, keys in changed.items() if keys}
    room = messages[mid]["rid"]
    # The edited message, and its children written again with it (its reactions); the room
    # moved only if the edit was of its last message.
    assert changed.pop("messages") == [(mid,)]
    assert {key[0] for key in changed.pop("message_reactions")} == {mid}
    assert changed.pop("rooms", [(room,)]) == [(room,)]
    for name, keys in changed.items():
        assert CHILD_TABLES[name][0] == "messages" and {key[0] for key in keys} == {mid}, name
    result = export_feed(db_engine, str(out))
    assert result.changes["messages"] == 1
    assert result.deletions.get("messages", 0) == 0
