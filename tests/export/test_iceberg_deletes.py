"""Incremental Iceberg runs replace rows with position-delete files: no data file is rewritten,
new files land only in the partitions of the changed rows, and every reader still sees exactly
the database's live rows (after further changes, a rewrite of most of a table, --compact)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from etl.db import open_database
from etl.export.iceberg import export_iceberg, table_position
from etl.export.iceberg_catalog import IcebergOptions, open_catalog
from etl.export.iceberg_compact import compact_iceberg
from etl.export.snapshot import max_change_seq
from tests.export._data import T0, delete, message_doc, save, seed_workspace, user_doc
from tests.export._live import live_db_rows
from tests.export.test_iceberg import assert_equal, options

NOVEMBER = T0  # 2024-11: GENERAL-m0/m1, dev-m0/m1, … (seed_workspace spaces messages 9 days apart)


def _table(opts: IcebergOptions, name: str) -> Any:
    return open_catalog(opts).load_table(("rocketchat", name))


def _summary(opts: IcebergOptions, name: str) -> dict[str, str]:
    snapshot = _table(opts, name).current_snapshot()
    return dict(snapshot.summary.additional_properties)


def _files(opts: IcebergOptions, name: str) -> dict[str, tuple[Any, list[str]]]:
    """Data file path -> (partition, paths of the delete files applying to it)."""
    return {
        t.file.file_path: (t.file.partition, sorted(d.file_path for d in t.delete_files))
        for t in _table(opts, name).scan().plan_files()
    }


def _edit(engine: sa.Engine, mid: str, rid: str, days: int, minutes: int, text: str) -> None:
    ts = T0 + timedelta(days=days, minutes=minutes)
    save(engine, "messages", [message_doc(mid, rid, ts, text, reactions={})])


def test_incremental_runs_write_delete_files_in_the_touched_partitions_only(
    db_url: str, tmp_path: Path
) -> None:
    engine = open_database(db_url)
    seed_workspace(engine, per_room=12)  # four months of messages: one data file per month
    opts = options(engine, tmp_path / "wh")
    export_iceberg(engine, opts)
    before = _files(opts, "messages")
    months = {p[0] for p, _ in before.values()}  # months since 1970, as Iceberg stores them
    assert len(months) == 4 and not any(d for _, d in before.values())

    _edit(engine, "dev-m1", "dev", 9, 1, "edited")  # November; dev is the seed's 2nd room
    save(engine, "messages", [message_doc("dev-new", "dev", NOVEMBER, "brand new")])
    delete(engine, "messages", ["GENERAL-m0"], "purge")  # November, with reactions
    export_iceberg(engine, opts)

    summary = _summary(opts, "messages")
    assert "deleted-data-files" not in summary  # nothing rewritten, nothing removed
    assert summary["added-data-files"] == "1"  # the new and edited rows: one November file
    assert summary["added-position-delete-files"] == "1"
    assert summary["added-position-deletes"] == "2"  # dev-m1's old row, GENERAL-m0
    after = _files(opts, "messages")
    assert set(before) < set(after)  # every earlier data file is still there, unchanged
    touched = {p[0] for path, (p, deletes) in after.items() if deletes or path not in before}
    assert touched == {min(months)}  # November's partition only
    assert "deleted-data-files" not in _summary(opts, "message_reactions")
    assert_equal(engine, opts)

    # Again, on rows whose data file already has deletes: positions dropped before are not
    # dropped twice, and rows written by the previous run are found in its file.
    _edit(engine, "dev-m1", "dev", 9, 1, "edited twice")
    _edit(engine, "GENERAL-m1", "GENERAL", 9, 0, "edited")
    export_iceberg(engine, opts)
    summary = _summary(opts, "messages")
    assert summary["added-position-deletes"] == "2" and "deleted-data-files" not in summary
    assert_equal(engine, opts)
    con = duckdb.connect()
    _table(opts, "messages").scan().to_duckdb("messages", connection=con)
    counted = con.execute("SELECT count(*) FROM messages").fetchone()
    assert counted is not None and counted[0] == len(live_db_rows(engine, "messages"))

    # Most of a table changed: the run rewrites it, and its delete files go with the old files.
    delete(engine, "users", ["3"], "keep")
    export_iceberg(engine, opts)
    assert _summary(opts, "users")["total-position-deletes"] == "1"
    save(engine, "users", [user_doc(f"{i}", ["user", "bot"]) for i in range(3)])
    assert export_iceberg(engine, opts).tables["users"].rewritten
    assert _summary(opts, "users")["total-position-deletes"] == "0"
    assert not any(d for _, d in _files(opts, "users").values())
    assert_equal(engine, opts)


def test_compaction_folds_the_delete_files_into_the_data_files(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=6)
    opts = options(engine, tmp_path / "wh")
    export_iceberg(engine, opts)
    _edit(engine, "dev-m1", "dev", 9, 1, "edited")
    delete(engine, "messages", ["GENERAL-m0", "GENERAL-m3"], "purge")
    export_iceberg(engine, opts)
    assert any(d for _, d in _files(opts, "messages").values())

    result = compact_iceberg(opts)
    assert "messages" in result.rewritten and "message_reactions" in result.rewritten
    for name in ("messages", "message_reactions"):
        assert not any(d for _, d in _files(opts, name).values())
        assert _summary(opts, name)["total-position-deletes"] == "0"
    assert_equal(engine, opts)
    with engine.connect() as conn:
        assert table_position(_table(opts, "messages")) == max_change_seq(conn)
    assert compact_iceberg(opts).rewritten == {}


def test_a_table_written_in_several_chunks_keeps_every_chunk(
    sqlite_url: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """A first load (and a rewrite) appends a table in chunks of APPEND_ROWS rows within one
    snapshot: every chunk's files must be new files, not the previous chunk's names again."""
    import etl.export.iceberg_write as iceberg_write

    monkeypatch.setattr(iceberg_write, "APPEND_ROWS", 5)
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=12)
    opts = replace(options(engine, tmp_path / "wh"), batch_rows=4)
    export_iceberg(engine, opts)
    assert_equal(engine, opts)
    save(engine, "users", [user_doc(f"{i}", ["user", "bot"]) for i in range(3)])
    assert export_iceberg(engine, opts).tables["users"].rewritten
    assert_equal(engine, opts)
