"""Row-level deletes as Iceberg position-delete files (merge-on-read), which pyiceberg reads but
does not write (its `delete` is copy-on-write: it rewrites every data file a key may be in, and
with random ids that is every file, so a 1 % change cost almost a full rewrite).

A run finds the rows to drop by reading only the key column of the table's data files, writes
one small position-delete file per data file that holds such rows (the spec's `file_path`/`pos`
Parquet file, in that data file's partition, with path bounds so readers pair them at once), and
commits those delete files with the appended rows in ONE snapshot (`RowDelta`). Data files are
never rewritten by a run; `rcetl export iceberg --compact` folds the delete files back into the
data files. Spark, Trino, pyiceberg (and DuckDB through it) apply position deletes; they are part
of Iceberg format v2, which is what pyiceberg creates.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from pyiceberg.io import FileIO
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import FileScanTask, Table, Transaction

# Field ids the Iceberg spec reserves for position-delete files.
PATH_ID = 2147483546
POS_ID = 2147483545
DELETE_SCHEMA = pa.schema(
    [
        pa.field("file_path", pa.string(), False, {b"PARQUET:field_id": str(PATH_ID).encode()}),
        pa.field("pos", pa.int64(), False, {b"PARQUET:field_id": str(POS_ID).encode()}),
    ]
)


def _deleted_positions(io: FileIO, task: FileScanTask) -> pa.Array:
    """Positions of `task.file` that earlier delete files already drop."""
    path = task.file.file_path
    found = []
    for delete in task.delete_files:
        with io.new_input(delete.file_path).open() as f:
            rows = pq.ParquetFile(f).read(use_threads=False)
        found.append(rows.filter(pc.equal(rows["file_path"], path))["pos"].combine_chunks())
    return pa.concat_arrays(found) if found else pa.array([], pa.int64())


def _file_positions(io: FileIO, task: FileScanTask, key: str, wanted: pa.Array) -> pa.Array:
    """Positions of the live rows of `task.file` whose `key` is in `wanted`."""
    with io.new_input(task.file.file_path).open() as f:
        column = pq.ParquetFile(f).read(columns=[key], use_threads=False)[key]
    hits = pc.indices_nonzero(pc.is_in(column, value_set=wanted)).cast(pa.int64())
    if len(hits) and task.delete_files:
        gone = _deleted_positions(io, task)
        hits = pc.filter(hits, pc.invert(pc.is_in(hits, value_set=gone)))
    return hits


def positions_to_delete(
    io: FileIO,
    tasks: Iterable[FileScanTask],
    key: str,
    keys: Collection[str],
    pool: Executor | None = None,
) -> Iterator[tuple[DataFile, pa.Array]]:
    """For each data file holding some, the positions of its live rows whose `key` is in `keys`:
    only the key column is read (Parquet column projection), never the rows. With a `pool`, every
    file is handed to it at once and read while the caller goes on (pyarrow releases the GIL
    while it reads, decodes and compares); the answer keeps the order of `tasks`."""
    wanted = pa.array(list(keys), pa.string())
    tasks = list(tasks)
    if pool is None:
        found: Iterable[pa.Array] = (_file_positions(io, t, key, wanted) for t in tasks)
    else:  # Executor.map submits every call now, not as its answer is read
        found = pool.map(
            _file_positions, [io] * len(tasks), tasks, [key] * len(tasks), [wanted] * len(tasks)
        )
    return ((task.file, hits) for task, hits in zip(tasks, found, strict=True) if len(hits))


def write_position_deletes(tx: Transaction, data_file: DataFile, positions: pa.Array) -> DataFile:
    """One position-delete file for `positions` of `data_file`, in the data file's partition."""
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

    path = data_file.file_path
    rows = pa.table([pa.array([path] * len(positions), pa.string()), positions], DELETE_SCHEMA)
    location = tx._table.location_provider()
    out_path = location.new_data_location(f"delete-{uuid.uuid4()}.parquet")
    out = tx._table.io.new_output(out_path)
    with out.create(overwrite=True) as f:
        pq.write_table(rows, f, compression="zstd")
    low, high = pc.min(positions).as_py(), pc.max(positions).as_py()
    delete = DataFile.from_args(
        content=DataFileContent.POSITION_DELETES,
        file_path=out_path,
        file_format=FileFormat.PARQUET,
        partition=data_file.partition,
        record_count=len(positions),
        file_size_in_bytes=len(out),
        value_counts={PATH_ID: len(positions), POS_ID: len(positions)},
        null_value_counts={PATH_ID: 0, POS_ID: 0},
        lower_bounds={PATH_ID: path.encode(), POS_ID: low.to_bytes(8, "little", signed=True)},
        upper_bounds={PATH_ID: path.encode(), POS_ID: high.to_bytes(8, "little", signed=True)},
        sort_order_id=None,
        equality_ids=None,
        key_metadata=None,
    )
    delete.spec_id = data_file.spec_id  # not a field of the file: set apart, as pyiceberg does
    return delete


def transaction(table: Table) -> Transaction:
    """A transaction that builds the table's metadata once per staged change (see
    etl/export/iceberg_commit.py): pyiceberg rebuilds it, a deep copy included, on each of the
    dozens of reads a snapshot commit makes."""
    from etl.export.iceberg_commit import LeanTransaction

    return LeanTransaction(table)


def row_delta(tx: Transaction, properties: dict[str, str], *, drop_deletes: bool = False) -> Any:
    """A snapshot producer adding data files and position-delete files in one snapshot;
    `drop_deletes` also removes every delete file the table had (after its data files were
    replaced, they refer to nothing)."""
    from etl.export.iceberg_row_delta import RowDelta

    return RowDelta(tx, properties, drop_deletes=drop_deletes)
