"""Current-state Apache Iceberg tables, one per synced and child table, kept up to date by runs.

Schemas are the Parquet export's Arrow schemas (`arrow_schema`), rows come from the same reader.
Each run reads one database snapshot and, per table, takes the `change_seq` range from the
table's own last snapshot to the database's newest marker, then commits ONE Iceberg transaction:
drop the rows of the changed keys (see etl/export/changes.py) with position-delete files (see
etl/export/iceberg_deletes.py: no data file is rewritten, so a run costs what changed), append
their live rows. Every snapshot it makes records the range in its summary
(`rcetl.change-seq-from`/`-to`), and the next run starts from there: a run killed before a
table's commit leaves that table at its previous snapshot and the next run redoes exactly that
range; a committed range is never applied twice.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
import sqlalchemy as sa

from etl.export.arrow_schema import arrow_schema
from etl.export.changes import ChangeTable, KeyCache, change_tables, read_keys
from etl.export.iceberg_catalog import IcebergOptions, open_catalog
from etl.export.iceberg_committer import committer
from etl.export.iceberg_deletes import (
    positions_to_delete,
    row_delta,
    transaction,
    write_position_deletes,
)
from etl.export.iceberg_runtime import iceberg_runtime
from etl.export.iceberg_state import fingerprint, read_hints, save_hints
from etl.export.iceberg_table import (
    SEQ_FROM,
    SEQ_TO,
    VERSION_PROPERTY,
    ensure_table,
    table_position,
)
from etl.export.iceberg_write import chunks_to_append
from etl.export.manifest import tool_version
from etl.export.reader import read_snapshot
from etl.export.snapshot import max_change_seq
from etl.schema import metadata

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.manifest import DataFile
    from pyiceberg.table import Table, Transaction

    Hit = tuple[DataFile, pa.Array]  # a data file and positions of rows it holds
    Rows = list[pa.Table] | Iterator[pa.Table]  # in memory, or streamed from the database

# Above this share of the table's rows to drop, a run rewrites the table instead.
REWRITE_SHARE = 0.5
SCAN_THREADS = 2


@dataclass
class TableRun:
    """What a run did to one table."""

    name: str
    from_change_seq: int
    to_change_seq: int
    deleted_keys: int = 0
    deleted_rows: int = 0
    appended: int = 0
    rewritten: bool = False
    evolved: list[str] = field(default_factory=list)


@dataclass
class IcebergResult:
    """One run: the database's change marker and the tables it committed (unchanged ones are
    left out)."""

    warehouse: str
    namespace: str
    change_seq: int
    tables: dict[str, TableRun] = field(default_factory=dict)

    @property
    def appended(self) -> int:
        return sum(t.appended for t in self.tables.values())


def _held(iceberg: Table) -> int:
    """Rows the table holds: its records minus the rows position-delete files drop."""
    snapshot = iceberg.current_snapshot()
    if snapshot is None or snapshot.summary is None:
        return 0
    summary = snapshot.summary.additional_properties
    return int(summary.get("total-records", 0)) - int(summary.get("total-position-deletes", 0))


def _hits(found: Iterator[Hit], most: int) -> list[Hit] | None:
    """The data files and positions of the rows to drop (see `positions_to_delete`); None as
    soon as they exceed `most` rows (a rewrite is cheaper then)."""
    hits: list[Hit] = []
    rows = 0
    for data_file, positions in found:
        rows += len(positions)
        if rows > most:
            return None
        hits.append((data_file, positions))
    return hits


def _plan(
    conn: sa.Connection,
    iceberg: Table,
    spec: ChangeTable,
    run: TableRun,
    keys: list[str] | None,
    batch_rows: int,
    pool: Executor,
) -> tuple[list[Hit], Rows] | None:
    """What the table's snapshot will hold: the rows to drop (position deletes) and the chunks
    of live rows to append. None when the keys that moved hold no row in the table, before or
    after (changed messages without reactions, for `message_reactions`): nothing is committed
    then, and the table's next commit covers this range again, which drops and adds nothing.

    A first load (no keys) appends every live row. Every row is replaced (`run.rewritten`)
    when columns were added (the migration may have filled them without moving `change_seq`)
    or when the rows to drop are more than REWRITE_SHARE of the rows the table holds. The
    data files are scanned for the keys on `pool` while the keys' rows are read here."""
    found: Iterator[Hit] | None = None
    if keys is not None:
        run.deleted_keys = len(keys)
        run.rewritten = bool(run.evolved)
        if not run.evolved and keys:
            tasks = iceberg.scan().plan_files()
            found = positions_to_delete(iceberg.io, tasks, spec.key, keys, pool)
    chunks = chunks_to_append(conn, spec, None if run.rewritten else keys, batch_rows)
    first = next(chunks, None)
    hits = [] if found is None else _hits(found, int(REWRITE_SHARE * _held(iceberg)))
    if hits is None:  # so many rows to drop that every live row is appended instead
        run.rewritten = True
        chunks.close()
        chunks = chunks_to_append(conn, spec, None, batch_rows)
        first = next(chunks, None)
    if keys is not None and not run.rewritten and not hits and first is None:
        return None
    run.deleted_rows = sum(len(positions) for _, positions in hits or [])
    rows = [] if first is None else [first]
    if keys is not None and not run.rewritten:  # a change's rows: one chunk, as a rule
        more = next(chunks, None)
        if more is None:
            return hits or [], rows  # all in memory (see etl/export/iceberg_committer.py)
        rows.append(more)
    return hits or [], itertools.chain(rows, chunks)


def _commit(
    iceberg: Table,
    tx: Transaction,
    run: TableRun,
    hits: list[Hit],
    chunks: Rows,
    version: str,
) -> None:
    """One snapshot: the position deletes and the appended rows (after dropping every row, on
    a rewrite). Always one, even with nothing to add on a first load: it records that the range
    is done, so the next run does not look at it again."""
    from pyiceberg.expressions import AlwaysTrue
    from pyiceberg.io.pyarrow import _dataframe_to_data_files

    low, high = run.from_change_seq, run.to_change_seq
    props = {SEQ_FROM: str(low), SEQ_TO: str(high), VERSION_PROPERTY: version}
    if run.rewritten and low > 0:
        tx.delete(AlwaysTrue(), snapshot_properties=props)
    with row_delta(tx, props, drop_deletes=run.rewritten) as delta:
        for data_file, positions in hits:
            delta.append_data_file(write_position_deletes(tx, data_file, positions))
        counter = itertools.count()  # one per snapshot: file names must not repeat
        metadata = tx.table_metadata
        for chunk in chunks:
            written = _dataframe_to_data_files(
                metadata, chunk, iceberg.io, delta.commit_uuid, counter
            )
            for data_file in written:
                delta.append_data_file(data_file)
            run.appended += chunk.num_rows


def export_iceberg(
    engine: sa.Engine,
    options: IcebergOptions,
    *,
    schema: sa.MetaData = metadata,
) -> IcebergResult:
    """Bring every Iceberg table up to the database's current state (see the module doc);
    tables the hints show untouched are not even opened (see etl/export/iceberg_state.py)."""
    with iceberg_runtime():
        return _export(engine, options, schema)


def _export(engine: sa.Engine, options: IcebergOptions, schema: sa.MetaData) -> IcebergResult:
    catalog = open_catalog(options)
    result = IcebergResult(options.warehouse, options.namespace, 0)
    version = tool_version()
    specs = change_tables(schema)
    # `pool`: the key scan's file reads (see _plan); they release the GIL, so a few threads do
    with (
        ThreadPoolExecutor(SCAN_THREADS) as pool,
        committer() as commits,
        read_snapshot(engine) as conn,
    ):
        result.change_seq = high = max_change_seq(conn)
        hints = read_hints(catalog, options.namespace, conn, specs)
        cache: KeyCache = {}  # a parent's changed ids, read once for all its child tables
        for spec in specs:
            columns = fingerprint(arrow_schema(spec.table))
            if not hints.skip(spec, columns):
                ready = _run_table(conn, catalog, options, spec, high, cache, pool)
                if ready is not None:
                    result.tables[spec.name] = ready.run
                    apply = functools.partial(ready.commit, version)
                    commits.commit(apply, in_background=isinstance(ready.rows, list))
            hints.holds(spec.name, high, columns)
        commits.wait()
    save_hints(catalog, options.namespace, hints)
    return result


@dataclass
class _Ready:
    """A table's snapshot, ready to commit: what `_plan` found."""

    iceberg: Table
    run: TableRun
    hits: list[Hit]
    rows: Rows

    def commit(self, version: str) -> None:
        """One transaction (see `_commit`), which also records the product's version."""
        with transaction(self.iceberg) as tx:
            if self.iceberg.properties.get(VERSION_PROPERTY) != version:
                tx.set_properties({VERSION_PROPERTY: version})
            _commit(self.iceberg, tx, self.run, self.hits, self.rows, version)


def _run_table(
    conn: sa.Connection,
    catalog: Catalog,
    options: IcebergOptions,
    spec: ChangeTable,
    high: int,
    cache: KeyCache,
    pool: Executor,
) -> _Ready | None:
    """Open (create, evolve) one table and plan the snapshot of what moved since its last
    one; None when nothing did."""
    iceberg, evolved = ensure_table(catalog, options.namespace, spec.table)
    low = table_position(iceberg)
    keys = read_keys(conn, spec, low, high, cache) if low > 0 else None
    if (low >= high or keys == []) and not (evolved and low > 0):
        return None  # nothing of this table moved: no commit at all
    run = TableRun(spec.name, low, high, evolved=evolved)
    plan = _plan(conn, iceberg, spec, run, keys, options.batch_rows, pool)
    return None if plan is None else _Ready(iceberg, run, *plan)


def iceberg_table_names(schema: sa.MetaData = metadata) -> list[str]:
    return [spec.name for spec in change_tables(schema)]


def describe(result: IcebergResult) -> list[str]:
    """One line per table the run committed."""
    lines = []
    for name, run in sorted(result.tables.items()):
        how = "rewritten" if run.rewritten else f"{run.deleted_keys} keys replaced"
        extra = f", columns added: {', '.join(run.evolved)}" if run.evolved else ""
        lines.append(
            f"{name}: change_seq {run.from_change_seq} -> {run.to_change_seq}, "
            f"{run.appended} rows appended, {how}{extra}"
        )
    return lines
