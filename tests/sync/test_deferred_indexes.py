"""A first load of messages (SQLite and PostgreSQL) drops the secondary indexes of messages and
its child tables and creates them once at its end; a load cut short gets them back from the next
messages step or from `rcetl db reindex`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from etl.db import open_database
from etl.load.indexes import begin_load, create_missing, deferred_indexes, missing_indexes
from etl.load.indexes import secondary_indexes as deferred
from tests.export._data import T0, message_doc, save


def _uses_index(conn: sa.Connection) -> bool:
    """Whether a lookup by room uses the rebuilt index (PostgreSQL: told not to scan the table)."""
    query = "SELECT id FROM messages WHERE rid = 'r1'"
    if conn.dialect.name == "sqlite":
        return "ix_messages_rid" in str(conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}").all())
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return "ix_messages_rid" in str(conn.exec_driver_sql(f"EXPLAIN {query}").all())


def _missing(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(ix.name) for ix in missing_indexes(conn)}


def test_the_deferred_indexes_are_those_of_messages_and_its_children() -> None:
    names = {str(ix.name) for ix in deferred()}
    assert {"ix_messages_rid_ts", "ix_messages_change_seq", "ix_message_reactions_emoji"} <= names
    assert not any(name.startswith(("ix_rooms", "ix_users")) for name in names)


def test_first_load_drops_and_recreates_them(db_url: str) -> None:
    engine = open_database(db_url)
    all_names = {str(ix.name) for ix in deferred()}
    assert _missing(engine) == set()
    with deferred_indexes(engine) as first_load:
        assert first_load and _missing(engine) == all_names
        save(engine, "messages", [message_doc("m1", "r1", T0, "hello")])
    assert _missing(engine) == set()
    with deferred_indexes(engine) as first_load:  # the table holds rows: not a first load
        assert not first_load and _missing(engine) == set()
    with engine.begin() as conn:  # the index is usable and current
        assert _uses_index(conn)
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        found = conn.exec_driver_sql("SELECT id FROM messages WHERE rid = 'r1'").all()
        assert [row[0] for row in found] == ["m1"]
    engine.dispose()


def test_a_load_cut_short_gets_them_back_before_the_next_step_writes(db_url: str) -> None:
    engine = open_database(db_url)
    assert begin_load(engine)  # the step starts, then the process dies
    save(engine, "messages", [message_doc("m1", "r1", T0, "orphaned")])
    engine.dispose()
    engine = open_database(db_url)
    assert _missing(engine)
    with deferred_indexes(engine) as first_load:
        assert not first_load and _missing(engine) == set()
    engine.dispose()


def test_reindex_and_a_failed_step_create_them(db_url: str) -> None:
    engine = open_database(db_url)
    assert begin_load(engine)
    with engine.begin() as conn:
        assert create_missing(conn) == len(deferred())
        assert create_missing(conn) == 0
    try:
        with deferred_indexes(engine):  # empty again: a first load, which fails
            raise RuntimeError("walk failed")
    except RuntimeError:
        pass
    assert _missing(engine) == set()
    engine.dispose()


def test_a_first_sync_ends_with_every_index(syncer: Any) -> None:
    sync = syncer()
    sync.run(["rooms", "messages"])
    assert _missing(sync.engine) == set()
