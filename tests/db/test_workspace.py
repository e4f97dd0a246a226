"""Every document of a simulated workspace normalises and loads, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from etl.load import mark_deleted, next_change_seq, save_records
from etl.normalise import TABLES, normalise
from etl.schema import SYNCED_TABLES, metadata
from etl.simulator import build_workspace

# server_statistics rows are per sync run (keyed by the run), not server documents: the sync
# tests cover them (tests/sync/test_admin_resources.py).
LOADABLE = [table for table in SYNCED_TABLES if table in TABLES]


def test_a_whole_workspace_loads_without_quarantine(db_engine: Engine) -> None:
    truth = build_workspace(seed=3, size="tiny").ground_truth()
    with db_engine.begin() as conn:
        seq = next_change_seq(conn)
        for table in LOADABLE:
            records = [normalise(table, doc) for doc in truth[table].values()]
            save_records(conn, table, records, seq)
        trashed = truth["trash"]["messages"]
        mark_deleted(conn, "messages", [(i, None) for i in trashed], "purge", seq)
    with db_engine.connect() as conn:
        for table in LOADABLE:
            count = conn.execute(select(func.count()).select_from(metadata.tables[table]))
            assert count.scalar_one() == len(truth[table]), table
        messages = metadata.tables["messages"]
        rows = conn.execute(select(messages.c.id, messages.c.raw)).all()
        tombstones = conn.execute(select(metadata.tables["tombstones"].c.id)).scalars().all()
    assert {r.id: r.raw for r in rows} == truth["messages"]
    assert set(tombstones) == set(trashed) and trashed
