"""The PostgreSQL straight-COPY path of the loader: new rows go in by COPY, a conflict it did not
expect falls back to the merge (nothing lost, nothing doubled), and repeated child keys keep the
first row as ON CONFLICT DO NOTHING does. On SQLite the same calls take executemany."""

from __future__ import annotations

import sqlalchemy as sa

from etl.db import open_database
from etl.load import next_change_seq, plans, save_records
from etl.load.pg_copy import DIRECT_MIN_ROWS, copy_new
from etl.load.records import insert_children
from etl.normalise import Record, normalise
from tests.export._data import T0, message_doc

N = DIRECT_MIN_ROWS + 10


def _messages(prefix: str, text: str) -> list[Record]:
    docs = [message_doc(f"{prefix}{i}", "r1", T0, f"{text} {i}") for i in range(N)]
    return [normalise("messages", doc) for doc in docs]


def _texts(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql("SELECT id, msg FROM messages").all())


def test_new_and_stored_rows_in_one_batch(db_engine: sa.Engine) -> None:
    with db_engine.begin() as conn:
        save_records(conn, "messages", _messages("m", "first")[:10], next_change_seq(conn))
    with db_engine.begin() as conn:  # 10 stored (updated), N - 10 new (copied)
        save_records(conn, "messages", _messages("m", "second"), next_change_seq(conn))
    texts = _texts(db_engine)
    assert len(texts) == N and all(t.startswith("second") for t in texts.values())


def test_a_conflict_undoes_the_copy_and_the_merge_writes(pg_url: str) -> None:
    db_engine = open_database(pg_url)  # the straight COPY is PostgreSQL's alone
    records = _messages("m", "text")
    with db_engine.begin() as conn:
        save_records(conn, "messages", records[:1], next_change_seq(conn))
    plan = plans.upsert_plan(
        "postgresql", "messages", tuple(records[0].row), ("deleted_at", "change_seq")
    )
    with db_engine.begin() as conn:
        params = plan.values([r.row for r in records], (None, 5))
        assert copy_new(conn, plan, params) is False  # m0 is stored: nothing written
        assert conn.exec_driver_sql("SELECT count(*) FROM messages").scalar() == 1
        conn.exec_driver_sql(plan.sql, params)  # the transaction is still usable
    assert len(_texts(db_engine)) == N
    db_engine.dispose()


def test_repeated_child_keys_keep_the_first_row(db_engine: sa.Engine) -> None:
    records = _messages("m", "text")
    with db_engine.begin() as conn:
        seq = next_change_seq(conn)
        save_records(conn, "messages", records, seq)
        rows = [
            {
                "message_id": r.id,
                "version": 1,
                "kind": "created",
                "msg": m,
                "origin": "sync",
                "observed_at": T0,
            }
            for r in records
            for m in ("kept", "dropped")
        ]
        insert_children(conn, "message_versions", rows, seq)
    with db_engine.connect() as conn:
        got = conn.exec_driver_sql("SELECT msg, count(*) FROM message_versions GROUP BY msg").all()
    assert got == [("kept", N)]


def test_hostile_text_and_documents_survive_the_binary_copy(db_engine: sa.Engine) -> None:
    """NUL, the escape mark, astral characters and integers beyond 64 bits, in N rows (the
    straight binary COPY on PostgreSQL), read back through the models as they were sent."""
    hostile = "nul\x00 \ue000mark tab\t nl\n back\\slash 😀"
    docs = [
        message_doc(f"h{i}", "r1", T0, f"{hostile} {i}", big=2**70, nested={"k": hostile})
        for i in range(N)
    ]
    with db_engine.begin() as conn:
        save_records(conn, "messages", [normalise("messages", d) for d in docs], 1)
    table = plans.table("messages")
    with db_engine.connect() as conn:
        stored = {r.id: r for r in conn.execute(sa.select(table.c.id, table.c.msg, table.c.raw))}
    assert len(stored) == N
    for doc in docs:
        assert stored[doc["_id"]].msg == doc["msg"]
        assert stored[doc["_id"]].raw == doc


def test_a_value_the_binary_copy_refuses_goes_in_as_text(pg_url: str) -> None:
    db_engine = open_database(pg_url)
    records = _messages("m", "text")
    plan = plans.upsert_plan(
        "postgresql", "messages", tuple(records[0].row), ("deleted_at", "change_seq")
    )
    params = plan.values([r.row for r in records], (None, 5))
    msg = plan.columns.index("msg")
    params[-1] = (*params[-1][:msg], 12345, *params[-1][msg + 1 :])  # an int for a text column
    with db_engine.begin() as conn:
        assert copy_new(conn, plan, params) is True
    texts = _texts(db_engine)
    assert len(texts) == N and texts[records[-1].id] == "12345"
    db_engine.dispose()


def test_a_batch_after_a_first_load_that_overlaps_it_is_merged(pg_url: str) -> None:
    """After all-new batches the loader COPYs without looking ids up; a batch that overlaps the
    stored rows undoes that COPY and merges, and children of stored parents are replaced."""
    db_engine = open_database(pg_url)
    for text in ("first", "second"):
        with db_engine.begin() as conn:
            save_records(conn, "messages", _messages("m", text), next_change_seq(conn))
    with db_engine.connect() as conn:
        mentions = conn.exec_driver_sql("SELECT count(*) FROM message_mentions").scalar()
    texts = _texts(db_engine)
    assert len(texts) == N and all(t.startswith("second") for t in texts.values())
    assert mentions == N  # replaced, not doubled
    db_engine.dispose()
