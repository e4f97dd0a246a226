"""The migrations build exactly the models, on SQLite and PostgreSQL, from any state."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from etl.db import (
    DatabaseError,
    current_revision,
    downgrade,
    head_revision,
    include_object,
    open_database,
    upgrade,
)
from etl.schema import CHILD_TABLES, SYNCED_TABLES, VIEWS, metadata


def schema_differences(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object,
            },
        )
        return compare_metadata(context, metadata)


def test_models_and_migrations_agree(db_engine: Engine) -> None:
    assert current_revision(db_engine) == head_revision()
    assert schema_differences(db_engine) == []


def test_every_table_and_the_threads_view_exist(db_engine: Engine) -> None:
    inspector = inspect(db_engine)
    tables = set(inspector.get_table_names())
    assert set(SYNCED_TABLES) | set(CHILD_TABLES) <= tables
    assert {"sync_state", "sync_runs", "quarantine", "tombstones", "job_runs"} <= tables
    assert {"export_state", "counters"} <= tables
    assert set(VIEWS) <= set(inspector.get_view_names())
    for name in SYNCED_TABLES:
        columns = {c["name"] for c in inspector.get_columns(name)}
        assert {"id", "raw", "updated_at", "deleted_at", "change_seq"} <= columns, name


def test_downgrade_to_empty_and_back(db_engine: Engine) -> None:
    downgrade(db_engine, "base")
    assert current_revision(db_engine) is None
    assert set(inspect(db_engine).get_table_names()) <= {"alembic_version"}
    upgrade(db_engine)
    assert schema_differences(db_engine) == []


def test_concurrent_openers_of_a_new_sqlite_file_both_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'rc.db'}"
    errors: list[BaseException] = []
    engines: list[Engine] = []

    def open_it() -> None:
        try:
            engines.append(open_database(url))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert current_revision(engines[0]) == head_revision()
    for engine in engines:
        engine.dispose()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_unreachable_database_raises_one_clear_error() -> None:
    with pytest.raises(DatabaseError) as err:
        open_database("postgresql+psycopg://etl:s3cret@127.0.0.1:1/nowhere")
    message = str(err.value)
    assert message.startswith("database postgresql+psycopg://etl:***@127.0.0.1:1/nowhere: ")
    assert "s3cret" not in message and "\n" not in message
