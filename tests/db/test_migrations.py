"""The migrations build exactly the models, on SQLite and PostgreSQL, from any state."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
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
from tests._db_fixtures import new_database_name


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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (a SQLite path whose directory does not exist yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nested' / 'dir' / 'rc.db'}"
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    name = new_database_name()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_concurrent_openers_in_threads_all_succeed(empty_db_url: str) -> None:
    errors: list[BaseException] = []
    engines: list[Engine] = []

    def open_it() -> None:
        try:
            engines.append(open_database(empty_db_url))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {current_revision(e) for e in engines} == {head_revision()}
    for engine in engines:
        engine.dispose()


def test_concurrent_openers_in_processes_all_succeed(empty_db_url: str) -> None:
    code = "import sys; from etl.db import open_database; open_database(sys.argv[1]).dispose()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, empty_db_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    failures = [p.stderr.read().decode() for p in procs if p.wait(timeout=120) != 0]  # type: ignore[union-attr]
    assert failures == []
    engine = open_database(empty_db_url)
    assert schema_differences(engine) == []
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


def test_a_database_from_a_newer_version_is_named_not_a_traceback(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(DatabaseError, match=r"'9999'.*newer rcetl"):
        open_database(sqlite_url)


def test_0002_adds_the_server_columns_to_existing_runs(db_engine: Engine) -> None:
    downgrade(db_engine, "0001")
    assert "server_url" not in {c["name"] for c in inspect(db_engine).get_columns("sync_runs")}
    with db_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sync_runs (kind, started_at, status) "
            "VALUES ('sync', '2026-01-01 00:00:00+00:00', 'ok')"
        )
    upgrade(db_engine)
    with db_engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT kind, status, server_url, server_version FROM sync_runs"
        ).all()
    assert [tuple(r) for r in rows] == [("sync", "ok", None, None)]
    assert schema_differences(db_engine) == []
