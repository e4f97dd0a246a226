"""Iceberg runs killed mid-commit, schema evolution, S3 warehouses, the CLI, --compact, the job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from etl.cli.main import cli
from etl.db import open_database
from etl.export.iceberg import SEQ_TO, export_iceberg, table_position
from etl.export.iceberg_catalog import IcebergOptions, open_catalog
from etl.export.iceberg_compact import compact_iceberg
from etl.export.iceberg_state import HINT_PREFIX
from etl.export.snapshot import max_change_seq
from etl.schema import metadata
from jobs.schedule import build_job_specs
from tests.export._data import T0, arrow_rows, delete, message_doc, save, seed_workspace
from tests.export._live import TABLES, live_db_rows
from tests.export.test_iceberg import assert_equal, options
from tests.export.test_s3 import BUCKET, s3, s3_endpoint  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[2]

# Runs export_iceberg and SIGKILLs itself on the Nth catalog commit, after the new metadata
# file is written and before the catalog points at it: the middle of a commit.
KILLER = """
import os, signal, sys
import sqlalchemy as sa
from pyiceberg.catalog.sql import SqlCatalog
from etl.export.iceberg import export_iceberg
from etl.export.iceberg_catalog import IcebergOptions

url, warehouse, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
original = SqlCatalog._write_metadata
calls = []

def write_then_die(*args, **kwargs):
    original(*args, **kwargs)
    calls.append(1)
    if len(calls) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

SqlCatalog._write_metadata = staticmethod(write_then_die)
engine = sa.create_engine(url)
export_iceberg(engine, IcebergOptions(database_url=url, warehouse=warehouse))
"""


@pytest.fixture
def seeded(db_url: str) -> sa.Engine:
    engine = open_database(db_url)
    seed_workspace(engine, per_room=6)
    return engine


def _change(engine: sa.Engine, policy: str = "purge") -> None:
    save(engine, "messages", [message_doc("dev-m1", "dev", T0, "edited", reactions={})])
    save(engine, "messages", [message_doc("dev-new", "dev", T0, "brand new")])
    delete(engine, "messages", ["GENERAL-m0", "GENERAL-m3"], policy)
    delete(engine, "users", ["3"], "keep")


def test_a_run_killed_mid_commit_leaves_the_previous_snapshot_and_the_next_run_completes(
    seeded: sa.Engine, db_url: str, tmp_path: Path
) -> None:
    opts = options(seeded, tmp_path / "wh")
    export_iceberg(seeded, opts)
    before = {t: _snapshot(opts, t) for t in TABLES}
    reactions_before = live_db_rows(seeded, "message_reactions")
    _change(seeded)
    url = seeded.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, url, opts.warehouse, "3"], env=env, cwd=tmp_path
    )
    assert proc.returncode == -signal.SIGKILL
    with seeded.connect() as conn:
        high = max_change_seq(conn)
    catalog = open_catalog(opts)
    positions = {t: table_position(catalog.load_table(("rocketchat", t))) for t in TABLES}
    moved = [t for t in TABLES if _snapshot(opts, t) != before[t]]
    assert moved and all(positions[t] == high for t in moved)
    # Commits 1 and 2 (messages, users) went through; the 3rd (message_reactions) was killed
    # and left that table at its previous snapshot and rows.
    assert moved == ["messages", "users"]
    reactions = open_catalog(opts).load_table(("rocketchat", "message_reactions"))
    assert arrow_rows(reactions.scan().to_arrow(), "message_reactions") == reactions_before
    assert reactions_before != live_db_rows(seeded, "message_reactions")
    result = export_iceberg(seeded, opts)
    assert set(result.tables).isdisjoint(moved)  # committed ranges are not applied again
    assert_equal(seeded, opts)
    assert export_iceberg(seeded, opts).tables == {}
    messages = open_catalog(opts).load_table(("rocketchat", "messages"))
    ranges = [s.summary.additional_properties.get(SEQ_TO) for s in messages.snapshots()]
    assert ranges.count(str(high)) <= 2  # one delete + one append snapshot for the range


def _snapshot(opts: IcebergOptions, name: str) -> int | None:
    return open_catalog(opts).load_table(("rocketchat", name)).metadata.current_snapshot_id


def test_a_migration_that_adds_a_column_evolves_the_table(sqlite_url: str, tmp_path: Path) -> None:
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=3)
    opts = options(engine, tmp_path / "wh")
    export_iceberg(engine, opts)
    with engine.begin() as conn:  # what a migration would do, backfill included
        conn.exec_driver_sql("ALTER TABLE rooms ADD COLUMN region TEXT")
        conn.exec_driver_sql("UPDATE rooms SET region = 'eu' WHERE id = 'dev'")
    evolved = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(evolved)
    evolved.tables["rooms"].append_column(sa.Column("region", sa.String, nullable=True))

    result = export_iceberg(engine, opts, schema=evolved)
    assert result.tables["rooms"].evolved == ["region"] and result.tables["rooms"].rewritten
    rooms = open_catalog(opts).load_table(("rocketchat", "rooms"))
    assert "region" in rooms.schema().column_names
    held = {r["id"]: r["region"] for r in rooms.scan().to_arrow().to_pylist()}
    assert held["dev"] == "eu" and held["GENERAL"] is None
    assert arrow_rows(rooms.scan().to_arrow(), "rooms") == live_db_rows(engine, "rooms")


def test_hints_skip_only_tables_that_certainly_hold_everything(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=3)
    opts = options(engine, tmp_path / "wh")
    export_iceberg(engine, opts)
    catalog = open_catalog(opts)
    with engine.connect() as conn:
        high = max_change_seq(conn)
    held = catalog.load_namespace_properties("rocketchat")
    assert held[f"{HINT_PREFIX}messages"].split(" ")[0] == str(high)
    # A hint behind the table (as a run killed after a commit leaves it) only costs a look.
    catalog.update_namespace_properties("rocketchat", updates={f"{HINT_PREFIX}users": "1 x"})
    assert export_iceberg(engine, opts).tables == {}
    # A table the catalog lost is made again, whatever its hint says.
    catalog.drop_table(("rocketchat", "message_reactions"))
    result = export_iceberg(engine, opts)
    assert list(result.tables) == ["message_reactions"]
    assert result.tables["message_reactions"].from_change_seq == 0
    assert_equal(engine, opts)


def test_s3_warehouse(s3: str, sqlite_url: str) -> None:  # noqa: F811
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=4)
    opts = options(engine, f"s3://{BUCKET}/iceberg")
    export_iceberg(engine, opts)
    _change(engine, "redact")
    export_iceberg(engine, opts)
    assert_equal(engine, opts)
    location = open_catalog(opts).load_table(("rocketchat", "messages")).location()
    assert location.startswith(f"s3://{BUCKET}/iceberg/")


def test_cli_runs_and_compacts(sqlite_url: str, tmp_path: Path) -> None:
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=4)
    config = tmp_path / "config.yaml"
    warehouse = tmp_path / "wh"
    config.write_text(
        f"database:\n  url: {sqlite_url}\nexport:\n  iceberg:\n    warehouse: {warehouse}\n"
        "    snapshot_retention: 1ms\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", str(config), "export", "iceberg"])
    assert first.exit_code == 0, first.output
    assert "messages: change_seq 0 ->" in first.output
    for round_ in range(3):
        save(engine, "messages", [message_doc(f"dev-x{round_}", "dev", T0, "more")])
        delete(engine, "messages", [f"dev-m{round_}"], "purge")
        assert runner.invoke(cli, ["--config", str(config), "export", "iceberg"]).exit_code == 0
    opts = IcebergOptions(database_url=sqlite_url, warehouse=str(warehouse))
    messages = open_catalog(opts).load_table(("rocketchat", "messages"))
    files_before = len(list(messages.scan().plan_files()))
    snapshots_before = len(messages.snapshots())

    compacted = runner.invoke(cli, ["--config", str(config), "export", "iceberg", "--compact"])
    assert compacted.exit_code == 0, compacted.output
    assert "messages: " in compacted.output and "snapshots expired" in compacted.output
    messages = open_catalog(opts).load_table(("rocketchat", "messages"))
    assert len(list(messages.scan().plan_files())) < files_before
    assert len(messages.snapshots()) < snapshots_before
    assert_equal(engine, opts)
    with engine.connect() as conn:
        assert table_position(messages) == max_change_seq(conn)  # compaction keeps the position
    assert compact_iceberg(opts).rewritten == {}


def test_iceberg_jobs_run_on_the_export_thread(sqlite_url: str) -> None:
    from etl.config import load_settings

    settings = load_settings(
        None, {"database.url": sqlite_url, "schedules": {"iceberg": {"interval": "1h"}}}, environ={}
    )
    [spec] = build_job_specs(settings)
    assert (spec.kind, spec.executor) == ("iceberg", "export")
