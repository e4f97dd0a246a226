"""A first load's filter of the ids it wrote (etl.load.history_pending.TouchedIds): pages that
skip the lookups for ids the step never wrote make exactly the versions that looking every id up
makes, when an id comes back within the step edited, unchanged, or after its deletion under each
policy (a purge removes the row but leaves a tombstone version), and when the filter's bits
collide for every id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from etl.db import open_database
from etl.load import next_change_seq, save_records
from etl.load.deletes import Policy
from etl.load.history import save_versions
from etl.load.history_deletes import apply_deletions
from etl.load.history_pending import Deferral, TouchedIds, finish_pending
from etl.load.holds import Holds
from etl.normalise import normalise
from tests.db.samples import message
from tests.history.helpers import VERSIONS

WHEN = datetime(2024, 3, 2, tzinfo=UTC)
PAGES = [  # (documents, ids deleted), one write transaction each
    ([message("m1", msg="one"), message("m2", msg="two"), message("m3", msg="three")], []),
    ([message("m1", msg="one, edited"), message("m4", msg="four")], []),
    ([message("m2", msg="two"), message("m5", msg="five")], ["m3"]),
    ([message("m3", msg="three again"), message("m6", msg="six")], ["m4"]),
    ([message("m4", msg="four"), message("m1", msg="one, edited twice")], []),
]


class _Colliding(TouchedIds):
    SLOTS = 4  # every id shares its slot with others: most answers are false hits


def _load(engine: Engine, deferral: Deferral, policy: Policy) -> list[str]:
    for docs, gone in PAGES:
        with engine.begin() as conn:
            seq = next_change_seq(conn)
            records = [normalise("messages", doc) for doc in docs]
            save_versions(conn, records, WHEN, seq, deferral)
            save_records(conn, "messages", records, seq)
            items = [(mid, WHEN) for mid in gone]
            apply_deletions(conn, "messages", items, policy, seq, Holds(), WHEN)
    finish_pending(engine)
    columns = [c for c in VERSIONS.c if c.name != "change_seq"]  # the transactions differ
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(VERSIONS.c.message_id, VERSIONS.c.version))
        return [repr(tuple(row)) for row in rows]


@pytest.mark.parametrize("policy", ["keep", "redact", "purge"])
def test_skipping_untouched_ids_makes_the_versions_of_looking_every_id_up(
    db_url: str, policy: Policy
) -> None:
    results = []
    for deferral in (Deferral(), Deferral(TouchedIds()), Deferral(_Colliding())):
        engine = open_database(db_url)
        try:
            with engine.begin() as conn:
                for table in ("message_versions", "messages", "message_versions_pending"):
                    conn.exec_driver_sql(f"DELETE FROM {table}")
            results.append(_load(engine, deferral, policy))
        finally:
            engine.dispose()
    assert results[0] == results[1] == results[2]
    m1 = [row for row in results[0] if row.startswith("('m1', ")]
    assert len(m1) == 3  # created, edited, edited again
    assert any(row.startswith("('m3', ") and "three again" in row for row in results[0])
