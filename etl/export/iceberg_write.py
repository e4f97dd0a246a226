"""The rows an Iceberg run appends, and their data files.

Rows come from the database in chunks of about APPEND_ROWS rows (a first load of a large table
does not sit in memory whole), and each chunk is written by pyiceberg's own writer. All the
chunks of a table go into one snapshot, under one write UUID; pyiceberg names a file
`00000-<task>-<write uuid>.parquet` with task numbers from a counter that restarts at every
call unless it is passed in, so one counter per snapshot is: without it, the second chunk's
files took the first chunk's names in the same partitions and overwrote them (rows lost, on
any table above APPEND_ROWS rows; tests/export/test_iceberg_deletes.py).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator

import pyarrow as pa
import sqlalchemy as sa

from etl.export.arrow_schema import arrow_schema
from etl.export.changes import ChangeTable, live
from etl.export.reader import iter_batches
from etl.load.plans import ids_in

# Rows per append inside a table's transaction (bounds memory on a first load).
APPEND_ROWS = 500_000


def chunks_to_append(
    conn: sa.Connection, spec: ChangeTable, keys: list[str] | None, batch_rows: int
) -> Generator[pa.Table, None, None]:
    """The live rows to append, in tables of about APPEND_ROWS rows: those of `keys` (None:
    every live row)."""
    return _chunks(_live_batches(conn, spec, keys, batch_rows), arrow_schema(spec.table))


def _chunks(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema
) -> Generator[pa.Table, None, None]:
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= APPEND_ROWS:
            yield pa.Table.from_batches(pending, schema)
            pending, rows = [], 0
    if rows:
        yield pa.Table.from_batches(pending, schema)


def _live_batches(
    conn: sa.Connection,
    spec: ChangeTable,
    keys: list[str] | None,
    batch_rows: int,
) -> Iterator[pa.RecordBatch]:
    """The live rows to append: for an incremental run, those of the keys already read
    (cheaper than running the change query again as a subquery); otherwise all of them."""
    where = live(spec)
    if keys:
        where = sa.and_(where, ids_in(spec.table.c[spec.key], keys, conn.dialect.name))
    order = list(spec.table.primary_key.columns)
    yield from iter_batches(conn, spec.table, where, order, batch_rows)
