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

from etl.db import open_database
from etl.export import export_archive, verify_archive
from tests.export._data import T0, message_doc, save, seed_workspace

CHILD = """
import sys
from etl.db import open_database
from etl.export import ExportOptions, export_archive
export_archive(open_database(sys.argv[1]), sys.argv[2], options=ExportOptions(50, 100))
"""


def _wait_for_growing_temp(out: Path, proc: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        # The 10k-row partition: written in 100 row groups, so it is caught while growing.
        temps = list((out / "messages" / "rid=big").rglob(".*.tmp-*"))
        if temps and temps[0].stat().st_size > 0:
            return temps[0]
        time.sleep(0.002)
    pytest.fail("the export finished before it could be killed mid-write")


def test_killed_archive_then_rerun(sqlite_url: str, tmp_path: Path) -> None:
    engine = open_database(sqlite_url)
    seed_workspace(engine, rooms=("GENERAL",), per_room=2)
    docs = [
        message_doc(f"big{i}", "big", T0 + timedelta(seconds=i), f"m{i}" * 20)
        for i in range(10_000)
    ]
    save(engine, "messages", docs)
    out = tmp_path / "archive"
    export_archive(engine, str(out))  # a complete archive is there before the killed run
    assert verify_archive(str(out)) == []

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, sqlite_url, str(out)], env=env)
    try:
        temp = _wait_for_growing_temp(out, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()

    assert proc.returncode == -signal.SIGKILL
    # The file being written when the kill came keeps its hidden temporary name: pyarrow skips
    # names starting with ".", and "*.parquet" globs do not match the ".tmp-…" suffix.
    assert temp.exists() and temp.name.startswith(".") and ".parquet.tmp-" in temp.name
    with pytest.raises(pa.ArrowInvalid):
        pq.read_metadata(temp)  # and it is indeed half a file: no Parquet footer
    discovered = ds.dataset(out / "messages", format="parquet", partitioning="hive").files
    assert discovered and not [f for f in discovered if ".tmp-" in f]
    for path in out.rglob("*.parquet"):
        pq.read_metadata(path)  # every visible file is complete
    assert verify_archive(str(out))[0].startswith("manifest.json: missing")

    manifest = export_archive(engine, str(out))
    assert verify_archive(str(out)) == []
    assert not list(out.rglob(".*.tmp-*"))
    assert manifest["tables"]["messages"]["rows"] == 10_002
