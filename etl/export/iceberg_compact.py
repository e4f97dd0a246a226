"""`rcetl export iceberg --compact`: fewer, larger data files and a bounded snapshot history.

Each run adds small files (its appends) and position-delete files (the rows it replaced, see
etl/export/iceberg_deletes.py); a table with delete files, or whose partitions hold several files
below `small_file_bytes`, is rewritten in one transaction that applies the deletes, drops the
delete files and keeps the table's `change_seq` position in the snapshot summary. Snapshots
older than the retention are then expired (the current one always stays). pyiceberg removes no
files: files only expired snapshots referred to stay until an engine's orphan-file removal runs.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from etl.export.iceberg import iceberg_table_names
from etl.export.iceberg_catalog import IcebergOptions, open_catalog
from etl.export.iceberg_deletes import row_delta
from etl.export.iceberg_table import SEQ_FROM, SEQ_TO, VERSION_PROPERTY, table_position
from etl.export.manifest import tool_version

if TYPE_CHECKING:
    from pyiceberg.table import Table


@dataclass
class CompactResult:
    rewritten: dict[str, tuple[int, int]] = field(default_factory=dict)  # files before, after
    expired: dict[str, int] = field(default_factory=dict)  # snapshots expired

    def lines(self) -> list[str]:
        out = [
            f"{n}: {a} data files rewritten into {b}"
            for n, (a, b) in sorted(self.rewritten.items())
        ]
        out += [f"{n}: {k} snapshots expired" for n, k in sorted(self.expired.items()) if k]
        return out or ["nothing to compact or expire"]


def _needs_rewrite(table: Table, small_file_bytes: int) -> tuple[bool, int]:
    by_partition: dict[object, list[int]] = defaultdict(list)
    files = list(table.scan().plan_files())
    for task in files:
        by_partition[task.file.partition].append(task.file.file_size_in_bytes)
    small = any(
        len(sizes) > 1 and sum(1 for s in sizes if s < small_file_bytes) > 1
        for sizes in by_partition.values()
    )
    return small or any(task.delete_files for task in files), len(files)


def _rewrite(table: Table) -> None:
    from pyiceberg.expressions import AlwaysTrue
    from pyiceberg.io.pyarrow import _dataframe_to_data_files

    position = str(table_position(table))
    props = {SEQ_FROM: position, SEQ_TO: position, VERSION_PROPERTY: tool_version()}
    rows = table.scan().to_arrow()  # position deletes applied
    with table.transaction() as tx:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tx.delete(AlwaysTrue(), snapshot_properties=props)
        with row_delta(tx, props, drop_deletes=True) as delta:
            written = _dataframe_to_data_files(
                tx.table_metadata, rows, table.io, write_uuid=delta.commit_uuid
            )
            for data_file in written if rows.num_rows else []:
                delta.append_data_file(data_file)


def _expire(table: Table, older_than: datetime) -> int:
    current = table.metadata.current_snapshot_id
    old = [
        s.snapshot_id
        for s in table.metadata.snapshots
        if s.timestamp_ms < older_than.timestamp() * 1000 and s.snapshot_id != current
    ]
    if old:
        table.maintenance.expire_snapshots().by_ids(old).commit()
    return len(old)


def compact_iceberg(options: IcebergOptions, tables: list[str] | None = None) -> CompactResult:
    """Rewrite tables with small files, expire snapshots older than the retention."""
    from pyiceberg.exceptions import NoSuchTableError

    catalog = open_catalog(options)
    result = CompactResult()
    older_than = datetime.now(UTC) - timedelta(seconds=options.retention_seconds)
    for name in tables or iceberg_table_names():
        try:
            table = catalog.load_table((options.namespace, name))
        except NoSuchTableError:
            continue
        needed, before = _needs_rewrite(table, options.small_file_bytes)
        if needed:
            _rewrite(table)
            table = catalog.load_table((options.namespace, name))
            result.rewritten[name] = (before, len(list(table.scan().plan_files())))
        result.expired[name] = _expire(table, older_than)
    return result
