"""The feed: several syncs with edits and deletions; replaying every run equals the database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from etl.db import open_database
from etl.export import ExportFilters, ExportOptions, export_feed, verify_archive
from etl.schema import CHILD_TABLES, SYNCED_TABLES, metadata
from tests.export._data import (
    T0,
    db_rows,
    delete,
    message_doc,
    reactions,
    room_doc,
    save,
    seed_workspace,
    set_members,
    user_doc,
)
from tests.export._replay import replay


def _assert_replay_equals_db(engine: sa.Engine, out: Path) -> None:
    state = replay(out)
    for table in [*SYNCED_TABLES, *CHILD_TABLES]:
        assert state[table] == db_rows(engine, table), table


def _second_sync(engine: sa.Engine) -> None:
    """Edits (reactions gone), new messages, keep + purge deletions, new members, renames."""
    save(
        engine,
        "messages",
        [message_doc("GENERAL-m0", "GENERAL", T0, "edited!", editedAt="2024-11-21T00:00:00Z")],
    )
    new = [
        message_doc(
            f"dev-n{i}", "dev", T0 + timedelta(hours=i), f"new {i}", reactions=reactions("user3")
        )
        for i in range(3)
    ]
    save(engine, "messages", new)
    delete(engine, "messages", ["dev-m1"], "keep")
    delete(engine, "messages", ["GENERAL-m2"], "purge")
    set_members(engine, "GENERAL", ["0", "3"])
    save(engine, "users", [user_doc("1", ["user", "moderator"])])
    save(engine, "rooms", [room_doc("dev", "development")])


def _third_sync(engine: sa.Engine) -> None:
    """Redaction, a purge of an id never synced, a purged DM room, a purged id coming back."""
    delete(engine, "messages", ["dev-m3"], "redact")
    delete(engine, "messages", ["ghost"], "purge")
    delete(engine, "rooms", ["u1u2"], "purge")
    save(engine, "messages", [message_doc("GENERAL-m2", "GENERAL", T0, "back again")])


def test_feed_replay_equals_database_across_syncs(db_engine: sa.Engine, tmp_path: Path) -> None:
    out = tmp_path / "feed"
    seed_workspace(db_engine, per_room=6)
    first = export_feed(db_engine, str(out), options=ExportOptions(batch_rows=5))
    assert first.run == 1 and first.changes["messages"] == 36
    _assert_replay_equals_db(db_engine, out)
    run1_files = {p: p.read_bytes() for p in out.rglob("run-000001.parquet")}

    _second_sync(db_engine)
    second = export_feed(db_engine, str(out))
    assert second.run == 2 and second.from_change_seq == first.to_change_seq
    assert second.changes["messages"] == 5  # 1 edited, 3 new, 1 soft-deleted; not the other 31
    assert second.deletions["messages"] == 2  # dev-m1 (kept, deleted_at set) and GENERAL-m2
    _assert_replay_equals_db(db_engine, out)

    _third_sync(db_engine)
    third = export_feed(db_engine, str(out))
    assert third.run == 3
    _assert_replay_equals_db(db_engine, out)

    assert export_feed(db_engine, str(out)).run is None  # nothing new: no run, no files
    assert {p: p.read_bytes() for p in out.rglob("run-000001.parquet")} == run1_files
    assert verify_archive(str(out)) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["run"] for r in manifest["runs"]] == [1, 2, 3]
    state = metadata.tables["export_state"]
    with db_engine.connect() as conn:
        runs, position = conn.execute(sa.select(state.c.runs, state.c.last_change_seq)).one()
    assert (runs, position) == (3, third.to_change_seq) == (3, manifest["position"])


def test_run_redone_after_crash_before_position_commit(sqlite_url: str, tmp_path: Path) -> None:
    """Files and manifest written, position lost: the next run reuses the number and covers more."""
    engine = open_database(sqlite_url)
    out = tmp_path / "feed"
    seed_workspace(engine, per_room=3)
    export_feed(engine, str(out))
    _second_sync(engine)
    export_feed(engine, str(out))
    state = metadata.tables["export_state"]
    with engine.begin() as conn:  # what a kill between manifest.json and the commit leaves
        conn.execute(state.update().values(runs=1, last_change_seq=export_feed_position(out, 1)))
    _third_sync(engine)
    redo = export_feed(engine, str(out))
    assert redo.run == 2
    _assert_replay_equals_db(engine, out)
    assert verify_archive(str(out)) == []


def export_feed_position(out: Path, run: int) -> int:
    manifest = json.loads((out / "manifest.json").read_text())
    return next(r["to_change_seq"] for r in manifest["runs"] if r["run"] == run)


def test_feed_with_room_filter(sqlite_url: str, tmp_path: Path) -> None:
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=4)
    out = tmp_path / "feed-dev"
    result = export_feed(engine, str(out), ExportFilters(rooms=("dev",)))
    assert set(result.changes) >= {"messages", "rooms", "message_reactions"}
    assert "users" not in result.changes
    state = replay(out)
    assert set(state["messages"]) == {f"dev-m{i}" for i in range(4)}
    assert {k[0] for k in state["message_reactions"]} <= set(state["messages"])
    assert set(state["rooms"]) == {"dev"}


def test_member_listings_alone_make_runs(sqlite_url: str, tmp_path: Path) -> None:
    """A new member listing, then an empty one (everybody left): both reach the warehouse."""
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=2)
    out = tmp_path / "feed"
    export_feed(engine, str(out))
    set_members(engine, "GENERAL", ["3"])
    second = export_feed(engine, str(out))
    assert second.run == 2 and second.changes == {"rooms": 1, "room_members": 1}
    _assert_replay_equals_db(engine, out)
    set_members(engine, "GENERAL", [])
    third = export_feed(engine, str(out))
    assert third.run == 3 and third.changes == {"rooms": 1}
    _assert_replay_equals_db(engine, out)
    assert not [k for k in replay(out)["room_members"] if k[0] == "GENERAL"]
