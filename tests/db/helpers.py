"""Write documents through the real path (normalise + save_records) and read tables back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from etl.load import next_change_seq, save_records
from etl.normalise import normalise
from etl.schema import metadata


def save(engine: Engine, resource: str, docs: list[dict[str, Any]]) -> int:
    records = [normalise(resource, d) for d in docs]
    with engine.begin() as conn:
        seq = next_change_seq(conn)
        save_records(conn, records[0].table, records, seq)
    return seq


def fetch(engine: Engine, table: str, **where: Any) -> list[dict[str, Any]]:
    t = metadata.tables[table]
    query = select(t).where(*(t.c[k] == v for k, v in where.items()))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
