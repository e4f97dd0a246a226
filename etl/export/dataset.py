"""Writing one table as a dataset: a single file, or Hive partitions by room and month.

Rows arrive ordered by the partition keys, so only one partition file is open at a time and memory
stays at one batch plus one row group, however many rooms there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.compute as pc

from etl.export.atomic_files import ParquetFileWriter, WrittenFile
from etl.export.fs import Location
from etl.export.options import ExportOptions
from etl.export.paths import is_shortened, join_relative, partition_segment


@dataclass(frozen=True)
class Partitioning:
    """Partition by `column` (dropped from the files: its value is in the path) and the month of
    `month_of` (kept in the files as a timestamp; the month is derived)."""

    column: str
    month_of: str

    @property
    def keys(self) -> list[str]:
        return [self.column, "month"]

    def file_schema(self, schema: pa.Schema) -> pa.Schema:
        return schema.remove(schema.get_field_index(self.column))

    def batch_keys(self, batch: pa.RecordBatch) -> list[tuple[str | None, str | None]]:
        values = batch.column(self.column).to_pylist()
        months = pc.strftime(batch.column(self.month_of), format="%Y-%m").to_pylist()
        return list(zip(values, months, strict=True))


def _runs(keys: list[tuple[str | None, str | None]]) -> Iterable[tuple[int, int]]:
    """(start, length) of each stretch of equal keys."""
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            yield start, i - start
            start = i


def write_single(
    location: Location,
    folder: str,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    options: ExportOptions,
    name: str = "part-00000.parquet",
) -> WrittenFile:
    """The whole stream into one file (written even when empty, so the schema is on disk)."""
    with ParquetFileWriter(location, join_relative(folder, name), schema, options) as writer:
        for batch in batches:
            writer.write(batch)
        return writer.close()


@dataclass
class PartitionedDataset:
    files: list[WrittenFile]
    # values too long for a folder name (`paths.is_shortened`): as readers see them -> whole
    shortened: dict[str, str]


def write_partitioned(
    location: Location,
    folder: str,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    partitioning: Partitioning,
    options: ExportOptions,
    file_tag: str = "",
) -> PartitionedDataset:
    """Route ordered batches into `folder/<col>=<value>/month=YYYY-MM/part-NNNNN<tag>.parquet`."""
    file_schema = partitioning.file_schema(schema)
    drop = schema.get_field_index(partitioning.column)
    written: list[WrittenFile] = []
    shortened: dict[str, str] = {}
    parts_seen: dict[tuple[str | None, str | None], int] = {}
    current: tuple[str | None, str | None] | None = None
    writer: ParquetFileWriter | None = None
    try:
        for batch in batches:
            keys = partitioning.batch_keys(batch)
            for start, length in _runs(keys):
                if keys[start] != current:
                    if writer is not None:
                        written.append(writer.close())
                    current = keys[start]
                    # A key seen again (input not perfectly ordered) gets a new part, never an
                    # overwrite of the file already written.
                    part = parts_seen[current] = parts_seen.get(current, -1) + 1
                    path = _partition_path(folder, partitioning, current, part, file_tag)
                    segment = partition_segment(partitioning.column, current[0])
                    if current[0] is not None and is_shortened(segment):
                        shortened[unquote(segment.split("=", 1)[1])] = current[0]
                    writer = ParquetFileWriter(location, path, file_schema, options)
                assert writer is not None
                writer.write(batch.slice(start, length).remove_column(drop))
        if writer is not None:
            written.append(writer.close())
            writer = None
    finally:
        if writer is not None:
            writer.abort()
    return PartitionedDataset(written, shortened)


def _partition_path(
    folder: str,
    partitioning: Partitioning,
    key: tuple[str | None, str | None],
    part: int,
    file_tag: str,
) -> str:
    value, month = key
    return join_relative(
        folder,
        partition_segment(partitioning.column, value),
        partition_segment("month", month),
        f"part-{part:05d}{file_tag}.parquet",
    )


def write_nonempty(
    location: Location,
    relative: str,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    options: ExportOptions,
) -> WrittenFile | None:
    """The stream into one file, or no file at all when the stream has no rows."""
    writer: ParquetFileWriter | None = None
    try:
        for batch in batches:
            if batch.num_rows and writer is None:
                writer = ParquetFileWriter(location, relative, schema, options)
            if writer is not None:
                writer.write(batch)
        result = writer.close() if writer is not None else None
        writer = None
        return result
    finally:
        if writer is not None:
            writer.abort()
