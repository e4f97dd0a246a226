"""PostgreSQL bulk path: COPY into a session-local staging table, then one INSERT ... SELECT.

COPY is the fastest way into PostgreSQL, but it cannot resolve conflicts, so rows land in a
temporary table shaped like the target and are merged with the same ON CONFLICT clause the
executemany path uses (performance-notes.md measured ~1.7x psycopg executemany).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from etl.load.plans import Plan

# Below this many rows the three extra statements cost more than COPY saves.
COPY_MIN_ROWS = 500


def copy_merge(conn: Connection, plan: Plan, params: list[tuple[Any, ...]]) -> None:
    """Write `params` (in `plan.columns` order) with COPY + INSERT ... SELECT ... ON CONFLICT."""
    target = plan.table.name
    stage = f"rcetl_stage_{target}"
    driver = conn.connection.driver_connection
    with driver.cursor() as cur:  # type: ignore[union-attr]
        # ON COMMIT DELETE ROWS keeps the table (and its plan cache) for the pooled connection.
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
            f"(LIKE {target} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({plan.quoted}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        cur.execute(f"{plan.head} SELECT {plan.quoted} FROM {stage} {plan.conflict}")
