"""A first load of messages without the per-row upkeep of their secondary indexes.

`messages` has five secondary indexes (rid/ts, rid/updated_at, u_id, tmid, change_seq) and each
of its child tables one to three: every inserted row updates each of them, in random key order,
which was the largest part of the writer thread's SQLite time in a first sync. Built once from
the loaded tables (CREATE INDEX sorts), they cost a fraction of that. So a messages step that
starts on an EMPTY messages table drops them (one committed transaction, before any page), loads,
and creates them again in ONE transaction at its end. Only the lookups by primary key (which the
sync makes: existing ids, child rows, versions) remain during the load; the one lookup by room
(`stored_ids`) is skipped by the caller, since on an empty table a room holds only what its own
walk wrote.

Crash safety: whether the indexes exist is itself transactional state in the database. A run
killed mid-load leaves them absent; the next messages step creates them before it writes anything
(the table is no longer empty, so it loads with them), and `rcetl db reindex` creates them too.
Until then reads are slower, never wrong: an index only speeds a query up.
PostgreSQL does the same: its first load goes through COPY (`etl.load.pg_copy`), and the B-tree
upkeep of each COPYed row was about a sixth of the server's CPU in a first sync (bench_sync --pg:
backends 9.6 -> 8.1 s on the medium workspace). DROP INDEX locks the (empty) table only for the
committed transaction that drops; CREATE INDEX at the end blocks writes, not reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial

from sqlalchemy import Connection, Engine, Index, inspect

from etl.load.background import Builds
from etl.schema import CHILD_TABLES, metadata

log = logging.getLogger(__name__)

TABLES = (
    "messages",
    *(child for child, (parent, _) in CHILD_TABLES.items() if parent == "messages"),
)
# Built after the versions pass, which fills the table (etl.load.history_pending); the others
# can be built meanwhile (etl.sync.messages).
VERSIONS = ("message_versions",)
NOT_VERSIONS = tuple(name for name in TABLES if name not in VERSIONS)


def secondary_indexes(tables: Sequence[str] = TABLES) -> list[Index]:
    """The non-unique indexes of `tables` (default: `messages` and its child tables), as the
    models declare them."""
    found = (ix for name in tables for ix in metadata.tables[name].indexes if not ix.unique)
    return sorted(found, key=lambda ix: str(ix.name))


def missing_indexes(conn: Connection, tables: Sequence[str] = TABLES) -> list[Index]:
    inspector = inspect(conn)
    present = {ix["name"] for name in tables for ix in inspector.get_indexes(name)}
    return [ix for ix in secondary_indexes(tables) if ix.name not in present]


def create_missing(conn: Connection, tables: Sequence[str] = TABLES) -> int:
    """Create the deferred indexes a first load left out (in the caller's transaction)."""
    missing = missing_indexes(conn, tables)
    for ix in missing:
        ix.create(conn)
    return len(missing)


def begin_load(engine: Engine, tables: Sequence[str] = TABLES) -> bool:
    """Before a messages step: True (the indexes of `tables` dropped) if the messages table is
    empty; otherwise creates any index a load cut short left out, and returns False."""
    with engine.begin() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM messages LIMIT 1").first() is not None:
            if create_missing(conn, tables):
                log.info("secondary indexes of messages created (a first load was cut short)")
            return False
        for ix in secondary_indexes(tables):
            ix.drop(conn, checkfirst=True)
    return True


@contextmanager
def deferred_indexes(
    engine: Engine, builds: Builds | None = None, tables: Sequence[str] = TABLES
) -> Iterator[bool]:
    """Around a messages step; yields whether it started on an empty messages table (a first
    load, the secondary indexes of `tables` dropped). They are created at the end, also after a
    failure or a stop, so they are back whenever the process lives to say so; with `builds`
    (PostgreSQL), in the background while the sync goes on (`etl.load.background`)."""
    first_load = begin_load(engine, tables)
    if not first_load:
        yield False
        return
    with built_after(lambda: _finish(engine, builds, tables), "secondary indexes"):
        yield True


@contextmanager
def built_after(finish: Callable[[], None], what: str) -> Iterator[None]:
    """Run the body, then `finish()`: also when the body fails or is stopped (the body's own
    error is the one raised; a failed `finish` then only logs, the next step redoes it)."""
    try:
        yield
    except BaseException:
        try:
            finish()
        except Exception as exc:
            log.warning("%s not built (the next sync does it): %s", what, exc)
        raise
    finish()


def _finish(engine: Engine, builds: Builds | None, tables: Sequence[str]) -> None:
    what = f"secondary indexes of {', '.join(tables)}"
    build = partial(create_missing, tables=tables)
    if builds is not None and builds.start(engine, tables, build, what):
        return
    with engine.begin() as conn:
        create_missing(conn, tables)
    log.info("secondary indexes of messages built in bulk after a first load")
