"""A SIGKILLed export leaves no file that looks complete, and the next run succeeds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from etl.db import open_database
from etl.export import export_archive, export_feed, verify_archive
from etl.schema import metadata
from tests.export._data import T0, db_rows, delete, message_doc, save, seed_workspace
from tests.export._replay import replay

CHILD = """
import os, signal, sys
import etl.export.archive as archive
from etl.db import open_database
from etl.export import ExportOptions, export_archive, export_feed
from etl.export.fs import Location

# Kill points inside the archive run (a real SIGKILL of this process, at a chosen step).
def die():
    os.kill(os.getpid(), signal.SIGKILL)

point = sys.argv[4] if len(sys.argv) > 4 else ""
write_json, delete = archive.write_json, Location.delete
def manifest_hook(*args):
    if point == "before-manifest":
        die()
    write_json(*args)
    if point == "after-manifest":
        die()
    Location.delete = delete_then_die if point == "mid-cleanup" else delete
def delete_then_die(self, relative):
    delete(self, relative)
    die()
archive.write_json = manifest_hook

export = export_archive if sys.argv[3] == "archive" else export_feed
export(open_database(sys.argv[1]), sys.argv[2], options=ExportOptions(50, 100))
"""


LEFTOVER = "(the next `export archive` into this folder removes it)"


def _database_with_a_big_room(db_url: str) -> sa.Engine:
    """Two small messages and one room of 10k: its file is written in 100 row groups, so the
    export can be caught while that file grows."""
    engine = open_database(db_url)
    seed_workspace(engine, rooms=("GENERAL",), per_room=2)
    docs = [
        message_doc(f"big{i}", "big", T0 + timedelta(seconds=i), f"m{i}" * 20)
        for i in range(10_000)
    ]
    save(engine, "messages", docs)
    return engine


def _wait_for_growing_temp(folder: Path, proc: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        temps = list(folder.rglob(".*.tmp-*"))
        if temps and temps[0].stat().st_size > 0:
            return temps[0]
        time.sleep(0.002)
    pytest.fail("the export finished before it could be killed mid-write")


def _kill_mid_write(db_url: str, out: Path, kind: str, folder: str) -> Path:
    """Run an export in a subprocess; SIGKILL it while a file in `folder` is being written."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, db_url, str(out), kind], env=env)
    try:
        temp = _wait_for_growing_temp(out / folder, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    return temp


def _kill_at(db_url: str, out: Path, point: str) -> None:
    """Run an archive in a subprocess that SIGKILLs itself at `point`."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, db_url, str(out), "archive", point], env=env, timeout=300
    )
    assert proc.returncode == -signal.SIGKILL


def _listed_rows(out: Path, table: str) -> int:
    manifest = json.loads((out / "manifest.json").read_text())
    return sum(
        pq.read_metadata(out / f["path"]).num_rows for f in manifest["tables"][table]["files"]
    )


@pytest.mark.parametrize("point", ["mid-file", "before-manifest", "after-manifest", "mid-cleanup"])
def test_killed_rearchive_leaves_one_complete_archive_and_the_next_run_cleans_up(
    sqlite_url: str, tmp_path: Path, point: str
) -> None:
    """Re-archive after a purge, SIGKILLed at each step: the folder holds the old archive or the
    new one, complete; the next run leaves exactly the new archive (no purged message in a glob)."""
    engine = _database_with_a_big_room(sqlite_url)
    out = tmp_path / "archive"
    old = export_archive(engine, str(out))
    purged = [mid for mid, row in db_rows(engine, "messages").items() if row["rid"] == "GENERAL"]
    delete(engine, "messages", purged, "purge")

    if point == "mid-file":
        _kill_mid_write(sqlite_url, out, "archive", "messages/rid=big")
    else:
        _kill_at(sqlite_url, out, point)

    manifest = json.loads((out / "manifest.json").read_text())
    replaced = manifest["generation"] != old["generation"]
    assert replaced == (point in ("after-manifest", "mid-cleanup"))
    assert _listed_rows(out, "messages") == (10_000 if replaced else 10_002)
    problems = verify_archive(str(out))  # every listed file is there and unchanged
    assert problems and all(p.endswith(LEFTOVER) or "temporary" in p for p in problems)

    manifest = export_archive(engine, str(out))
    assert verify_archive(str(out)) == []
    glob = (out / "messages" / "**" / "*.parquet").as_posix()
    ids = {row[0] for row in duckdb.sql(f"SELECT id FROM read_parquet('{glob}')").fetchall()}
    assert ids == set(db_rows(engine, "messages")) and not ids & set(purged)
    assert not list((out / "messages").glob("rid=GENERAL/**/*.parquet"))


def test_killed_archive_then_rerun(sqlite_url: str, tmp_path: Path) -> None:
    engine = _database_with_a_big_room(sqlite_url)
    out = tmp_path / "archive"
    export_archive(engine, str(out))  # a complete archive is there before the killed run
    assert verify_archive(str(out)) == []

    temp = _kill_mid_write(sqlite_url, out, "archive", "messages/rid=big")

    # The file being written keeps its hidden temporary name: pyarrow skips names starting with
    # ".", and "*.parquet" globs do not match the ".tmp-…" suffix. And it is half a file.
    assert temp.exists() and temp.name.startswith(".") and ".parquet.tmp-" in temp.name
    with pytest.raises(pa.ArrowInvalid):
        pq.read_metadata(temp)
    discovered = ds.dataset(out / "messages", format="parquet", partitioning="hive").files
    assert discovered and not [f for f in discovered if ".tmp-" in f]
    for path in out.rglob("*.parquet"):
        pq.read_metadata(path)  # every visible file is complete
    # The previous archive is still there, complete: only the killed run's files are extra.
    assert [p for p in verify_archive(str(out)) if not p.endswith(LEFTOVER)] == [
        f"{temp.relative_to(out).as_posix()}: leftover temporary file not in the manifest"
    ]

    manifest = export_archive(engine, str(out))
    assert verify_archive(str(out)) == []
    assert not list(out.rglob(".*.tmp-*"))
    assert manifest["tables"]["messages"]["rows"] == 10_002


def test_killed_feed_run_is_redone(sqlite_url: str, tmp_path: Path) -> None:
    engine = _database_with_a_big_room(sqlite_url)
    out = tmp_path / "feed"

    _kill_mid_write(sqlite_url, out, "feed", "messages/changes")

    assert not (out / "manifest.json").exists()  # the run never finished: nothing to load
    state = metadata.tables["export_state"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(state)).scalar() == 0
    result = export_feed(engine, str(out))
    assert result.run == 1 and result.changes["messages"] == 10_002
    assert verify_archive(str(out)) == []
    assert not list(out.rglob(".*.tmp-*"))
    assert replay(out)["messages"] == db_rows(engine, "messages")
