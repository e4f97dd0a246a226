"""The dlt source into DuckDB, run twice across edits and deletions, equals the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from tests.export._data import arrow_rows
from tests.export._live import TABLES, live_db_rows
from tests.export.test_iceberg import change_server, sync


@pytest.fixture(autouse=True)
def no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    # dlt sends anonymous usage data unless told not to: no network here.
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


def _run(url: str, tmp_path: Path) -> Path:
    import dlt

    from etl.integrations.dlt import rocketchat_source

    target = (
        tmp_path / "warehouse.duckdb"
    )  # not rocketchat.duckdb: a catalog named like the schema is ambiguous
    pipeline = dlt.pipeline(
        pipeline_name="rocketchat",
        pipelines_dir=str(tmp_path / "pipelines"),
        destination=dlt.destinations.duckdb(str(target)),
        dataset_name="rocketchat",
    )
    info = pipeline.run(rocketchat_source(url))
    assert not info.has_failed_jobs
    return target


def _assert_equal(engine: sa.Engine, target: Path) -> None:
    with duckdb.connect(str(target), read_only=True) as con:
        loaded = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'rocketchat'"
        ).fetchall()}  # fmt: skip
        for name in TABLES:
            live = live_db_rows(engine, name)
            if name not in loaded:  # dlt creates no table for a resource that never had rows
                assert live == {}, name
                continue
            held = con.sql(f'SELECT * FROM rocketchat."{name}"').to_arrow_table()
            assert arrow_rows(held, name) == live, name


def test_dlt_into_duckdb_twice_equals_the_database(
    db_engine: sa.Engine, sim_workspace: Any, sim_server: Callable[..., Any], tmp_path: Path
) -> None:
    server = sim_server(rate_limit=None)
    url = db_engine.url.render_as_string(hide_password=False)
    sync(server, sim_workspace, db_engine, "keep")
    _assert_equal(db_engine, _run(url, tmp_path))

    change_server(sim_workspace, 1)
    sync(server, sim_workspace, db_engine, "keep")
    change_server(sim_workspace, 2)
    sync(server, sim_workspace, db_engine, "purge")
    _assert_equal(db_engine, _run(url, tmp_path))
