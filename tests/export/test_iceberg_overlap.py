"""The run's overlapped work (the key scan on a thread pool while the rows are read, table
commits in the background while the next table is prepared) gives what the sequential path
gives: the same positions to drop, the same rows in every table, commits one at a time in the
tables' order, and a failed commit fails the run."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from etl.db import open_database
from etl.export.iceberg import export_iceberg
from etl.export.iceberg_catalog import IcebergOptions, open_catalog
from etl.export.iceberg_committer import Committer, committer
from etl.export.iceberg_deletes import positions_to_delete
from tests.export._data import T0, arrow_rows, delete, message_doc, save, seed_workspace
from tests.export._live import TABLES
from tests.export.test_iceberg import assert_equal, options


def _seeded(url: str, warehouse: Path) -> tuple[Any, IcebergOptions]:
    engine = open_database(url)
    seed_workspace(engine, per_room=12)  # four months of messages
    return engine, options(engine, warehouse)


def _change(engine: Any, round_: int) -> None:
    save(engine, "messages", [message_doc("dev-m1", "dev", T0, f"edit {round_}", reactions={})])
    save(engine, "messages", [message_doc(f"dev-new{round_}", "dev", T0, "brand new")])
    delete(engine, "messages", [f"GENERAL-m{round_}"], "purge")


def test_the_pooled_key_scan_finds_what_the_sequential_one_finds(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine, opts = _seeded(sqlite_url, tmp_path / "wh")
    for round_ in range(2):  # the second run gives the data files delete files
        export_iceberg(engine, opts)
        _change(engine, round_)
    table = open_catalog(opts).load_table(("rocketchat", "messages"))
    tasks = list(table.scan().plan_files())
    keys = ["dev-m0", "dev-m1", "dev-new0", "GENERAL-m1", "GENERAL-m5", "no-such-id"]
    alone = [
        (f.file_path, p.to_pylist()) for f, p in positions_to_delete(table.io, tasks, "id", keys)
    ]
    with ThreadPoolExecutor(2) as pool:
        found = positions_to_delete(table.io, tasks, "id", keys, pool)
        pooled = [(f.file_path, p.to_pylist()) for f, p in found]
    assert pooled == alone and len(alone) >= 2


def test_background_commits_give_the_same_tables_as_inline_ones(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, background = _seeded(db_url, tmp_path / "bg")
    inline = replace(options(engine, tmp_path / "inline"), namespace="inline")
    original = Committer.commit
    for round_ in range(3):
        export_iceberg(engine, background)
        with monkeypatch.context() as m:
            m.setattr(
                Committer,
                "commit",
                lambda self, apply, in_background: original(self, apply, in_background=False),
            )
            export_iceberg(engine, inline)
        for name in TABLES:
            ours = open_catalog(background).load_table(("rocketchat", name)).scan().to_arrow()
            theirs = open_catalog(inline).load_table(("inline", name)).scan().to_arrow()
            assert arrow_rows(ours, name) == arrow_rows(theirs, name), name
        assert_equal(engine, background)
        _change(engine, round_ + 1)


def test_commits_run_one_at_a_time_in_order_and_errors_surface() -> None:
    events: list[str] = []
    busy = threading.Lock()

    def apply(name: str, seconds: float = 0.0) -> None:
        assert busy.acquire(blocking=False), "two commits at once"
        time.sleep(seconds)
        events.append(name)
        busy.release()

    with committer() as commits:
        commits.commit(lambda: apply("a", 0.05), in_background=True)
        commits.commit(lambda: apply("b"), in_background=False)  # waits for "a"
        commits.commit(lambda: apply("c", 0.02), in_background=True)
        commits.wait()
    assert events == ["a", "b", "c"]

    def fail() -> None:
        raise RuntimeError("commit failed")

    with pytest.raises(RuntimeError, match="commit failed"), committer() as commits:
        commits.commit(fail, in_background=True)
        commits.commit(lambda: apply("never"), in_background=True)
    assert "never" not in events
