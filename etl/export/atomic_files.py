"""Parquet files that appear atomically, with their size and SHA-256 computed while writing.

A file is written under a hidden temporary name next to its final name and renamed when complete,
so a killed export leaves at worst a `.name.tmp-xxxx` file that no reader picks up and that the
next run removes. On object storage the rename is a server-side copy; the temporary object is
equally invisible to `*.parquet` globs and pyarrow discovery (names starting with `.` are skipped).
"""

from __future__ import annotations

import hashlib
import io
import posixpath
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from etl.export.fs import Location
from etl.export.options import ExportOptions
from etl.export.paths import is_temp_name, temp_name


@dataclass(frozen=True)
class WrittenFile:
    path: str
    rows: int
    bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _HashingSink(io.RawIOBase):
    """Forwards writes to a pyarrow stream, counting and hashing the bytes on the way."""

    def __init__(self, stream: pa.NativeFile) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.digest.update(view)
        self._stream.write(view)
        self.size += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self.size

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


class AtomicBytesWriter:
    """Write bytes to `relative` via a temporary name; `commit()` renames, `abort()` deletes."""

    def __init__(self, location: Location, relative: str) -> None:
        self.location = location
        self.relative = relative
        self.temp = temp_name(relative)
        location.make_dirs(posixpath.dirname(relative))
        self.sink = _HashingSink(location.fs.open_output_stream(location.full(self.temp)))

    def commit(self, rows: int) -> WrittenFile:
        self.sink.close()
        self.location.fs.move(self.location.full(self.temp), self.location.full(self.relative))
        return WrittenFile(self.relative, rows, self.sink.size, self.sink.digest.hexdigest())

    def abort(self) -> None:
        self.sink.close()
        if self.location.exists(self.temp):
            self.location.delete(self.temp)


def write_bytes_atomic(location: Location, relative: str, data: bytes) -> WrittenFile:
    target = AtomicBytesWriter(location, relative)
    target.sink.write(data)
    return target.commit(rows=0)


class ParquetFileWriter:
    """One Parquet file: batches are buffered into row groups of `row_group_rows` rows."""

    def __init__(
        self,
        location: Location,
        relative: str,
        schema: pa.Schema,
        options: ExportOptions,
    ) -> None:
        self.schema = schema
        self.row_group_rows = options.row_group_rows
        self.rows = 0
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._target = AtomicBytesWriter(location, relative)
        self._writer = pq.ParquetWriter(
            self._target.sink, schema, compression=options.compression, store_schema=True
        )

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self.rows += batch.num_rows
        if self._pending_rows >= self.row_group_rows:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        table = pa.Table.from_batches(self._pending, schema=self.schema)
        full = (table.num_rows // self.row_group_rows) * self.row_group_rows
        cut = table.num_rows if final else full
        if cut:
            self._writer.write_table(table.slice(0, cut), row_group_size=self.row_group_rows)
        rest = table.slice(cut)
        self._pending = rest.to_batches() if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def close(self) -> WrittenFile:
        if self._pending:
            self._flush(final=True)
        self._writer.close()
        return self._target.commit(self.rows)

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            self._target.abort()

    def __enter__(self) -> ParquetFileWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()


def remove_stale_temps(location: Location, relative: str = "") -> list[str]:
    """Delete temporary files left by a killed run; returns what was removed."""
    stale = [path for path in location.list_files(relative) if is_temp_name(path)]
    for path in stale:
        location.delete(path)
    return stale
