"""Consistent, streaming reads: one snapshot per export, rows fetched in batches.

PostgreSQL: REPEATABLE READ, and `stream_results` opens a server-side (named) cursor so only one
batch is ever in client memory. SQLite: the driver does not open a transaction for SELECTs, so we
issue BEGIN ourselves; in WAL mode that pins one snapshot for every table we read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from etl.export.arrow_schema import BatchBuilder, select_columns
from etl.export.options import BATCH_ROWS


@contextmanager
def read_snapshot(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection inside one read transaction; rolled back unless the caller commits."""
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ"}
        with engine.connect().execution_options(**options) as conn, conn.begin():
            yield conn
        return
    with engine.connect() as conn, conn.begin():
        if engine.dialect.name == "sqlite":
            driver = conn.connection.driver_connection
            if driver is not None and not driver.in_transaction:
                conn.exec_driver_sql("BEGIN")
        yield conn


def iter_query(
    conn: sa.Connection,
    stmt: sa.Select[Any],
    builder: BatchBuilder,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Stream a query's rows as Arrow record batches of at most `batch_rows` rows."""
    # Per statement: Connection.execution_options() would change the connection for good.
    options = {"stream_results": True, "yield_per": batch_rows}
    result = conn.execute(stmt, execution_options=options)
    with result:
        for rows in result.partitions(batch_rows):
            yield builder.build(rows)


def iter_batches(
    conn: sa.Connection,
    table: sa.Table,
    where: sa.ColumnElement[bool] | None = None,
    order_by: Sequence[sa.ColumnElement[Any]] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[pa.RecordBatch]:
    """Stream a table (optionally filtered and ordered) as Arrow record batches."""
    stmt = sa.select(*select_columns(table))
    if where is not None:
        stmt = stmt.where(where)
    if order_by:
        stmt = stmt.order_by(*order_by)
    builder = BatchBuilder.for_table(table, conn.dialect.name)
    yield from iter_query(conn, stmt, builder, batch_rows)
