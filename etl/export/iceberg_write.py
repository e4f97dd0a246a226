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

import itertools
import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pyarrow as pa
import sqlalchemy as sa

from etl.export.arrow_schema import arrow_schema
from etl.export.changes import ChangeTable, live
from etl.export.iceberg_parquet import handles, write_data_files
from etl.export.reader import iter_batches

if TYPE_CHECKING:
    from pyiceberg.io import FileIO
    from pyiceberg.manifest import DataFile
    from pyiceberg.table.metadata import TableMetadata

# Rows per append inside a table's transaction (bounds memory on a first load).
APPEND_ROWS = 500_000
# Keys per query when reading the rows of changed keys.
KEY_SLICE = 10_000


def data_files(
    metadata: TableMetadata,
    rows: pa.Table,
    io: FileIO,
    write_uuid: uuid.UUID,
    counter: itertools.count[int],
) -> Iterable[DataFile]:
    """Write `rows` as data files of the table (target file size, one partition per file)."""
    from pyiceberg.io.pyarrow import _dataframe_to_data_files

    if handles(metadata):
        return write_data_files(metadata, rows, io, write_uuid, counter)
    return _dataframe_to_data_files(metadata, rows, io, write_uuid, counter)


def chunks_to_append(
    conn: sa.Connection, spec: ChangeTable, keys: list[str] | None, batch_rows: int
) -> Iterator[pa.Table]:
    """The live rows to append, in tables of about APPEND_ROWS rows: those of `keys` (None:
    every live row)."""
    return _chunks(_live_batches(conn, spec, keys, batch_rows), arrow_schema(spec.table))


def _chunks(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.Table]:
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
    """The live rows to append: for an incremental run, those of the keys already read (by
    value, in slices under the drivers' bound-parameter limits: cheaper than running the
    change query again as a subquery); otherwise all of them."""
    order = list(spec.table.primary_key.columns)
    if not keys:
        yield from iter_batches(conn, spec.table, live(spec), order, batch_rows)
        return
    column = spec.table.c[spec.key]
    for start in range(0, len(keys), KEY_SLICE):
        by_value = sa.and_(live(spec), column.in_(keys[start : start + KEY_SLICE]))
        yield from iter_batches(conn, spec.table, by_value, order, batch_rows)
