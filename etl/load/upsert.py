"""The one upsert: INSERT ... ON CONFLICT (key) DO UPDATE, for any table of the schema.

The bulk record path (`records.py`) and the bookkeeping writes (checkpoints, the daemon's job
runs, the feed's position) all go through `plans.upsert_plan`, so the conflict clause and the
value conversions of the column types are written once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from etl.load import plans


def upsert(
    conn: Connection,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    key_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
) -> None:
    """Insert `rows` (all with the same keys) or, where `key_columns` match a stored row, update
    `update_columns` (default: every given column outside the key). Runs in the caller's
    transaction."""
    if not rows:
        return
    columns = tuple(rows[0])
    plan = plans.upsert_plan(
        conn.dialect.name,
        table,
        columns,
        (),
        tuple(key_columns),
        tuple(update_columns) if update_columns is not None else None,
    )
    conn.exec_driver_sql(plan.sql, plan.values([dict(row) for row in rows], ()))
