"""`rcetl db reindex`: rebuild the full-text index from the messages table."""

from __future__ import annotations

from sqlalchemy import Engine

from etl.fulltext.bulk import rebuild_with_triggers, triggers_missing
from etl.fulltext.names import FTS_TABLE, PG_INDEX


def reindex(engine: Engine) -> str:
    """Rebuild the index (after a restore, or a suspicion of drift); returns what was rebuilt."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            if not triggers_missing(conn):  # else a first load cut short: create it
                conn.exec_driver_sql(f"REINDEX INDEX {PG_INDEX}")
            rebuild_with_triggers(conn)
            return f"PostgreSQL GIN index {PG_INDEX}"
        rebuild_with_triggers(conn)  # also after a first load that was cut short
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
        return f"SQLite FTS5 table {FTS_TABLE}"
