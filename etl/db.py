"""Engine creation, connection pragmas and schema upgrades.

Every command that touches the database goes through `open_database`, which upgrades the schema to
the newest migration first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, default=str)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine with fast JSON; on SQLite also WAL, a busy timeout and the parent directory."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config() -> Config:
    """Alembic configuration built in code, so it works from any working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`, holding the write lock so concurrent openers wait."""
    config = alembic_config()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite does not open a transaction for DDL by itself: take the write lock first so
            # the whole upgrade is one transaction and a second process waits instead of racing.
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = conn
        driver = conn.connection.driver_connection
        sqlite_txn = engine.dialect.name == "sqlite"
        try:
            command.upgrade(config, revision)
        except BaseException:
            if sqlite_txn and driver.in_transaction:
                driver.rollback()
            raise
        if sqlite_txn and driver.in_transaction:
            driver.commit()
        conn.commit()


def open_database(url: str) -> Engine:
    """Create the engine, apply pragmas and upgrade the schema to head; returns the engine."""
    engine = create_db_engine(url)
    if current_revision(engine) != head_revision():
        upgrade(engine)
    return engine
