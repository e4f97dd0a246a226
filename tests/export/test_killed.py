"""A SIGKILLed export leaves no file that looks complete, and the next run succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from etl.db import open_database
from etl.export import export_archive, export_feed, verify_archive
from etl.schema import metadata
from tests.export._data import T0, db_rows, message_doc, save, seed_workspace
from tests.export._replay import replay

CHILD = """
import sys
from etl.db import open_database
from etl.export import ExportOptions, export_archive, export_feed
export = export_archive if sys.argv[3] == "archive" else export_feed
export(open_database(sys.argv[1]), sys.argv[2], options=ExportOptions(50, 100))
"""


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
    assert verify_archive(str(out))[0].startswith("manifest.json: missing")

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
