"""A first load's pass (etl.load.history_pending.materialise) writes the versions 1 that writing
them page by page writes, column for column: `attachments` read back out of the stored document
(a list, an empty list, null, absent, the word in the text or in a nested object only), and a
message given its versions within the step (an edit) left out of the pass."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from etl.db import open_database
from etl.load import next_change_seq, save_records
from etl.load.history import save_versions
from etl.load.history_pending import Deferral, TouchedIds, finish_pending
from etl.normalise import normalise
from tests.db.samples import message
from tests.history.helpers import VERSIONS

WHEN = datetime(2024, 3, 2, tzinfo=UTC)
PLAIN = {k: v for k, v in message("x").items() if k not in ("attachments", "files")}
PAGES = [
    [
        message("m1"),
        message("m2", attachments=[]),
        message("m3", attachments=None),
        {**PLAIN, "_id": "m4", "msg": 'the "attachments": [1] are late'},
        {**PLAIN, "_id": "m5", "file": {"_id": "f", "attachments": [{"title": "nested"}]}},
        {**PLAIN, "_id": "m6"},
    ],
    [message("m1", msg="edited"), {**PLAIN, "_id": "m7", "msg": "attachments"}],
]


def _load(engine: Engine, deferral: Deferral | None) -> list[tuple[object, ...]]:
    with engine.begin() as conn:
        for table in ("message_versions", "messages", "message_versions_pending"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    for docs in PAGES:
        with engine.begin() as conn:
            seq = next_change_seq(conn)
            records = [normalise("messages", doc) for doc in docs]
            save_versions(conn, records, WHEN, seq, deferral)
            save_records(conn, "messages", records, seq)
    finish_pending(engine)
    columns = [c for c in VERSIONS.c if c.name != "change_seq"]  # the transactions differ
    with engine.connect() as conn:
        query = select(*columns).order_by(VERSIONS.c.message_id, VERSIONS.c.version)
        return [tuple(row) for row in conn.execute(query)]


def test_the_pass_writes_what_page_by_page_writing_does(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        by_page = _load(engine, None)
        deferred = _load(engine, Deferral(TouchedIds()))
    finally:
        engine.dispose()
    assert deferred == by_page
    attachments = {row[0]: row[VERSIONS.c.keys().index("attachments")] for row in by_page}
    assert attachments["m1"] == message("m1")["attachments"]
    assert attachments["m2"] == []
    assert [attachments[m] for m in ("m3", "m4", "m5", "m6", "m7")] == [None] * 5
    assert [row[:2] for row in by_page if row[0] == "m1"] == [("m1", 1), ("m1", 2)]
