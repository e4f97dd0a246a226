"""A first load of messages without the row-by-row full-text work (SQLite).

The FTS5 triggers index each message as it is inserted: measured, they cut raw inserts into the
messages table from ~16.5k to ~5.9k rows/s. Building the index once from the loaded table (FTS5's
'rebuild') costs a fraction of that. So a messages step that starts on an EMPTY messages table
drops the triggers (one committed transaction, before any page), loads, and then rebuilds the
index and recreates the triggers in ONE transaction.

Crash safety: whether the triggers exist is itself transactional state in the database. A run
killed mid-load leaves the triggers absent, so the next messages step (whatever the table holds
by then) resumes the deferred load and rebuilds at its end; `rcetl db reindex` rebuilds and
recreates them too. Until then a search sees the index as it was before the load (empty): never
a wrong hit, since an external-content table reads the texts from `messages` itself.
PostgreSQL: the same idea with the GIN index over `to_tsvector(msg)`: a first load drops it and
CREATE INDEX builds it once at the end (a sorted bulk build instead of a pending-list merge every
4 MB of inserts); a missing index (a load cut short) is created by the next messages step or by
`rcetl db reindex`. Until then a search scans the table: slower, never wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from etl.fulltext.names import FTS_TABLE, FTS_TRIGGERS, PG_INDEX, PG_INDEX_DDL, SQLITE_TRIGGERS
from etl.load.background import Builds
from etl.load.indexes import built_after

log = logging.getLogger(__name__)
_WHAT = "full-text index"


def _has_index(conn: Connection) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
    ).first()
    return found is not None


def triggers_missing(conn: Connection) -> bool:
    """Whether the triggers are gone (a first load in progress, or one that was cut short);
    on PostgreSQL, whether the GIN index is."""
    if conn.dialect.name == "postgresql":
        found = conn.exec_driver_sql("SELECT to_regclass(%s)", (PG_INDEX,)).scalar()
        return found is None
    names = {
        row[0]
        for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    return not set(FTS_TRIGGERS) <= names


def drop_triggers(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")
        return
    for name in FTS_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def rebuild_with_triggers(conn: Connection) -> None:
    """Rebuild the index from `messages` and (re)create the triggers, in the caller's
    transaction: the index and the triggers become current together or not at all.
    PostgreSQL: creates the GIN index if it is missing."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(PG_INDEX_DDL)
        return
    drop_triggers(conn)
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    for statement in SQLITE_TRIGGERS:
        conn.exec_driver_sql(statement)


def begin_deferred(engine: Engine) -> bool:
    """Drop the triggers if the messages table is empty; True if the index must be rebuilt
    after the load (also when an earlier first load was cut short)."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite" and not _has_index(conn):
            return False
        if triggers_missing(conn):
            return True
        if conn.exec_driver_sql("SELECT 1 FROM messages LIMIT 1").first() is not None:
            return False
        drop_triggers(conn)
    return True


@contextmanager
def deferred_index(engine: Engine, builds: Builds | None = None) -> Iterator[None]:
    """Around a messages step: a first load indexes in bulk at the end (also after a failure or
    a stop, so the triggers are back whenever the process lives to say so); with `builds`
    (PostgreSQL), in the background while the sync goes on (`etl.load.background`)."""
    if not begin_deferred(engine):
        yield
        return
    with built_after(lambda: _finish(engine, builds), "full-text index"):
        yield


def _finish(engine: Engine, builds: Builds | None = None) -> None:
    if builds is not None and builds.start(engine, ("messages",), rebuild_with_triggers, _WHAT):
        return
    with engine.begin() as conn:
        rebuild_with_triggers(conn)
    log.info("full-text index built in bulk after a first load of messages")
