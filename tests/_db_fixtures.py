"""Database fixtures (owned by the schema work).

- `sqlite_url`: a fresh SQLite file in the test's tmp dir (not yet migrated).
- `pg_url`: a fresh PostgreSQL database, already migrated, cloned from a per-session template
  (CREATE DATABASE ... TEMPLATE takes ~40 ms). Skipped only when RCETL_TEST_POSTGRES_URL is unset.
- `db_url`: parametrized over both dialects, for tests that must hold on SQLite and PostgreSQL.
- `db_engine`: `etl.db.open_database(db_url)`, disposed after the test.
- `new_database_name()`: the name for any other database a test creates (drop it afterwards).

Parallel runs (pytest-xdist, other engineers' sessions on the same server): every database name
carries the pid of the test process that made it (`rcetl_tpl_<pid>_…`, `rcetl_t_<pid>_…`); each
xdist worker is its own process with its own template. A session start drops only the databases
whose pid is no longer running (killed sessions), so no process ever drops a live one's databases.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from etl.db import open_database

PG_ENV = "RCETL_TEST_POSTGRES_URL"

__all__ = [
    "db_engine",
    "db_url",
    "new_database_name",
    "pg_admin",
    "pg_template",
    "pg_url",
    "sqlite_url",
]


def _pg_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'rcetl.db'}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the server named by RCETL_TEST_POSTGRES_URL (creates databases)."""
    base = _pg_base_url()
    if base is None:
        pytest.skip(f"{PG_ENV} is not set")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def new_database_name() -> str:
    """A unique PostgreSQL database name owned by this test process (see the module docstring)."""
    return f"rcetl_t_{os.getpid()}_{secrets.token_hex(4)}"


def _database_url(name: str) -> str:
    base = _pg_base_url()
    assert base is not None
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_orphans(admin: Engine) -> None:
    """Databases left by killed test sessions on this host (their pid is gone) are dropped."""
    with admin.connect() as conn:
        names = conn.exec_driver_sql(
            "SELECT datname FROM pg_database WHERE datname ~ '^rcetl_(tpl|t)_[0-9]+_'"
        ).scalars()
        orphans = [n for n in names if not _alive(int(n.split("_")[2]))]
    for name in orphans:
        _drop(admin, name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def pg_template(pg_admin: Engine) -> Iterator[str]:
    """A migrated database per test session; its name is unique so parallel sessions never meet."""
    _drop_orphans(pg_admin)
    name = f"rcetl_tpl_{os.getpid()}_{secrets.token_hex(3)}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = open_database(_database_url(name))
    engine.dispose()
    yield name
    _drop(pg_admin, name)


@pytest.fixture
def pg_url(pg_admin: Engine, pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    name = new_database_name()
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _database_url(name)
    _drop(pg_admin, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    yield engine
    engine.dispose()
