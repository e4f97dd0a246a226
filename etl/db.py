"""Engine creation, connection pragmas and schema upgrades.

Every command that touches the database goes through `open_database`, which upgrades the schema to
the newest migration first.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import migrations
from etl.errors import DatabaseError, database_error, safe_url
from etl.fulltext.names import is_fulltext_object
from etl.schema import VIEWS
from etl.schema.types import JSONText, dumps_json

MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent


def _loads(value: Any) -> Any:
    # SQLite gives a column declared JSON numeric affinity: a stored scalar like `100` comes back
    # as a number, not as JSON text.
    if isinstance(value, (int, float)):
        return value
    return orjson.loads(value)


CACHE_KIB = 16 * 1024  # per connection (the pool keeps a few), filled only as pages are used
WAL_CHECKPOINT_PAGES = 10_000  # ~40 MB of WAL between checkpoints


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    _enable_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # A sync's group commit touches more index pages than the default 2 MB cache holds: pages
    # spilled and re-read mid-transaction, and a WAL checkpoint after nearly every commit
    # (default: every 1,000 pages), were ~15% of a full sync's writer (bench/bench_sync.py).
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
    cursor.close()


def _enable_wal(cursor: Any) -> None:
    # WAL is stored in the file, so only a new file needs the switch; the switch does not wait on
    # the busy timeout when another connection is creating the same file, so retry it briefly.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] in ("wal", "memory"):
        return
    deadline = time.monotonic() + 30
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _bind_none_directly() -> None:
    """Bind None as NULL, JSONText as text and bool as integer, without CPython's failed
    attribute lookup.

    CPython 3.11's sqlite3 sends every parameter that is not an exact int, float or str through
    its adapter protocol, and for None that ends in looking up `__adapt__` on its protocol type,
    which fails by formatting an AttributeError: ~2,000 instructions per NULL, a tenth of a
    SQLite sync's instructions (callgrind: 3.2M of them in a medium full sync). An adapter
    registered for NoneType is found first; `{}.get` is a C callable that returns None for
    None, so the value still binds as NULL. Idempotent; the registry is the sqlite3 module's.

    A JSONText (a message's document serialised once for its row and its version: a str
    subclass) took the same path when history is tracked, once per message: registering `str`
    (an exact copy that binds as is) saves ~1,500 instructions a row (callgrind, 100k rows of a
    one-column insert of JSONText: 17.5k -> 16.1k a row, construction included).

    A bool (`tshow`, `pinned`, `groupable`, ... as etl.normalise.fields.boolean returns them) is
    not an exact int either: `int` binds it as the 0 or 1 the fallback bound anyway. Registering
    bool does not set the module's "a base type is adapted" flag (only int, float, str and
    bytearray do), so exact ints and strs keep skipping the protocol.
    """
    null = cast(Callable[[None], None], {}.get)
    sqlite3.register_adapter(type(None), null)
    sqlite3.register_adapter(JSONText, str)
    sqlite3.register_adapter(bool, int)


def create_db_engine(url: str) -> Engine:
    """An engine with fast JSON; on SQLite also WAL, a busy timeout and the parent directory."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"json_serializer": dumps_json, "json_deserializer": _loads}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise database_error(url, exc) from exc
        kwargs["connect_args"] = {"timeout": 30}
        _bind_none_directly()
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config() -> Config:
    """Alembic configuration built in code, so it works from any working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


# Created by pyiceberg's SQL catalog in the product's database (etl/export/iceberg_catalog.py).
ICEBERG_CATALOG = ("iceberg_tables", "iceberg_namespace_properties")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate filter: views and full-text objects are created by hand in migrations, never
    diffed as tables or indexes; the tables of pyiceberg's SQL catalog belong to pyiceberg."""
    if type_ == "table" and (name in VIEWS or (reflected and name in ICEBERG_CATALOG)):
        return False
    return not is_fulltext_object(name, type_)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revision(revision: str) -> bool:
    """Whether this rcetl's migrations include `revision` (False: a newer rcetl wrote it)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`, holding the write lock so concurrent openers wait."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to `revision` ("base" empties the database)."""
    _migrate(engine, command.downgrade, revision)


# Alembic keeps the running migration in module-level proxies (`alembic.context`), so two threads
# of one process must not migrate at once; other processes are held off by database locks.
_ALEMBIC_IN_USE = threading.Lock()


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config()
    with _ALEMBIC_IN_USE, engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # pysqlite does not open a transaction for DDL by itself: take the write lock first so
            # the whole upgrade is one transaction and a second process waits instead of racing.
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = conn
        driver = conn.connection.driver_connection
        # pysqlite's own connection; other databases need no help here.
        sqlite_driver = (
            cast(sqlite3.Connection, driver) if engine.dialect.name == "sqlite" else None
        )
        try:
            step(config, revision)
        except BaseException:
            if sqlite_driver is not None and sqlite_driver.in_transaction:
                sqlite_driver.rollback()
            raise
        if sqlite_driver is not None and sqlite_driver.in_transaction:
            sqlite_driver.commit()
        conn.commit()


def open_database(url: str) -> Engine:
    """Create the engine, apply pragmas and upgrade the schema to head; returns the engine.

    Raises DatabaseError (one line, password masked) when the database cannot be reached or
    upgraded.
    """
    try:
        engine = create_db_engine(url)
        if current_revision(engine) != head_revision():
            upgrade(engine)
    except (SQLAlchemyError, ImportError) as exc:
        raise database_error(url, exc) from exc
    except CommandError as exc:  # e.g. a revision this version of rcetl does not know
        raise DatabaseError(
            f"database {safe_url(url)}: {exc} (was it upgraded by a newer rcetl?)"
        ) from exc
    return engine


@contextmanager
def using_database(url: str) -> Iterator[Engine]:
    """`open_database` for a `with` block: the engine is disposed when the block ends."""
    engine = open_database(url)
    try:
        yield engine
    finally:
        engine.dispose()
