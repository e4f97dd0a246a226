"""The warehouse feed: each run writes the rows changed since the previous run as new files.

Layout (one folder per table, one file per run and kind, never rewritten once committed):

    OUT/manifest.json                              runs, position, every file with size and SHA-256
    OUT/<table>/changes/run-000042.parquet         rows with last < change_seq <= position
    OUT/<synced table>/deletions/run-000042.parquet  soft-deleted rows and purges (tombstones)

Order of a run: data files, then manifest.json, then the position in `export_state`. A crash
before the position is committed makes the next run redo the same run number over a range that
includes the lost one (same file names, atomically replaced), so nothing is lost or skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from etl.export.arrow_schema import TIMESTAMP, BatchBuilder, arrow_schema
from etl.export.atomic_files import WrittenFile, remove_stale_temps
from etl.export.dataset import write_nonempty
from etl.export.feed_manifest import FeedResult, load_feed_manifest, merge_run
from etl.export.filters import ExportFilters
from etl.export.fs import Location, open_location
from etl.export.manifest import MANIFEST, write_json
from etl.export.options import ExportOptions
from etl.export.reader import iter_batches, iter_query, read_snapshot
from etl.export.snapshot import max_change_seq, snapshot_info
from etl.load.upsert import upsert
from etl.schema import AUDIT_TABLES, CHILD_TABLES, SYNCED_TABLES, metadata

RUN_COLUMN = "_feed_run"
DELETIONS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("deleted_at", TIMESTAMP),
        pa.field("change_seq", pa.int64(), nullable=False),
        pa.field("purged", pa.bool_(), nullable=False),
    ]
)


def feed_tables(filters: ExportFilters) -> list[str]:
    return filters.select_tables([*SYNCED_TABLES, *CHILD_TABLES, *AUDIT_TABLES])


def feed_target(location: Location, filters: ExportFilters) -> str:
    """The `export_state` key: the destination, plus the filters when there are any."""
    if filters.is_empty:
        return f"feed:{location.uri}"
    return f"feed:{location.uri}?{sorted(filters.to_dict().items())}"


def with_run(schema: pa.Schema) -> pa.Schema:
    return schema.append(pa.field(RUN_COLUMN, pa.int64(), nullable=False))


def _tag(batches: Any, run: int) -> Any:
    for batch in batches:
        column = pa.repeat(pa.scalar(run, pa.int64()), batch.num_rows)
        yield batch.append_column(pa.field(RUN_COLUMN, pa.int64(), nullable=False), column)


def _deletions_query(table: sa.Table, seq_range: Any, filters: ExportFilters) -> sa.Select[Any]:
    """Soft deletions in range (row kept, `deleted_at` set) and purges (tombstones) in range whose
    row does not exist any more (an id that came back is an upsert, not a deletion)."""
    tomb = metadata.tables["tombstones"]
    where = filters.where(table, metadata)
    soft = sa.select(
        table.c.id,
        table.c.deleted_at,
        table.c.change_seq,
        sa.literal(False, sa.Boolean).label("purged"),
    ).where(table.c.deleted_at.is_not(None), *seq_range(table))
    if where is not None:
        soft = soft.where(where)
    hard = sa.select(
        tomb.c.id, tomb.c.deleted_at, tomb.c.change_seq, sa.literal(True, sa.Boolean)
    ).where(
        tomb.c.table_name == table.name,
        *seq_range(tomb),
        ~sa.exists().where(table.c.id == tomb.c.id),
    )
    both = sa.union_all(soft, hard).subquery()
    return sa.select(*both.c).order_by(both.c.change_seq, both.c.id)


def _write_table(
    conn: sa.Connection,
    location: Location,
    name: str,
    filters: ExportFilters,
    run: int,
    last: int,
    high: int,
    options: ExportOptions,
) -> dict[str, WrittenFile]:
    batch_rows = options.batch_rows
    table = metadata.tables[name]

    def seq_range(t: sa.Table) -> list[sa.ColumnElement[bool]]:
        return [t.c.change_seq > last, t.c.change_seq <= high]

    where = sa.and_(_changed(table, seq_range), *_optional(filters.where(table, metadata)))
    order = list(table.primary_key.columns)
    written: dict[str, WrittenFile] = {}
    changes = _tag(iter_batches(conn, table, where, order, batch_rows), run)
    schema = with_run(arrow_schema(table))
    if file := write_nonempty(location, _run_path(name, "changes", run), schema, changes, options):
        written["changes"] = file
    if name in SYNCED_TABLES:
        builder = BatchBuilder.for_typed(DELETIONS_SCHEMA)
        stmt = _deletions_query(table, seq_range, filters)
        deletions = _tag(iter_query(conn, stmt, builder, batch_rows), run)
        path = _run_path(name, "deletions", run)
        schema = with_run(DELETIONS_SCHEMA)
        if file := write_nonempty(location, path, schema, deletions, options):
            written["deletions"] = file
    return written


def _run_path(table: str, kind: str, run: int) -> str:
    return f"{table}/{kind}/run-{run:06d}.parquet"


def dataset_schemas(names: list[str]) -> dict[str, pa.Schema]:
    """The Arrow schema of every feed dataset, keyed `<table>/changes|deletions`."""
    schemas = {f"{n}/changes": with_run(arrow_schema(metadata.tables[n])) for n in names}
    deletions = with_run(DELETIONS_SCHEMA)
    schemas.update({f"{n}/deletions": deletions for n in names if n in SYNCED_TABLES})
    return schemas


def _changed(table: sa.Table, seq_range: Any) -> sa.ColumnElement[bool]:
    """Rows changed in range; for a child table also every child of a parent changed in range,
    since a parent's write does not always rewrite all its child tables (room_members of
    channels come from their own listing), and the replay replaces children of changed parents."""
    if table.name not in CHILD_TABLES:
        return sa.and_(*seq_range(table))
    parent_name, column = CHILD_TABLES[table.name]
    parent = metadata.tables[parent_name]
    changed_parents = sa.select(parent.c.id).where(*seq_range(parent))
    return sa.or_(sa.and_(*seq_range(table)), table.c[column].in_(changed_parents))


def _optional(clause: sa.ColumnElement[bool] | None) -> list[sa.ColumnElement[bool]]:
    return [] if clause is None else [clause]


def _read_position(conn: sa.Connection, target: str) -> tuple[int, int]:
    state = metadata.tables["export_state"]
    row = conn.execute(
        sa.select(state.c.last_change_seq, state.c.runs).where(state.c.target == target)
    ).first()
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)


def _save_position(conn: sa.Connection, target: str, position: int, runs: int) -> None:
    row = {
        "target": target,
        "last_change_seq": position,
        "runs": runs,
        "last_run_at": datetime.now(UTC),
    }
    upsert(conn, "export_state", [row], key_columns=("target",))


def export_feed(
    engine: sa.Engine,
    out: str,
    filters: ExportFilters | None = None,
    *,
    options: ExportOptions | None = None,
) -> FeedResult:
    """Write one feed run to `out`: what changed since the last run, then advance the position."""
    filters = filters or ExportFilters()
    options = options or ExportOptions()
    names = feed_tables(filters)
    location = open_location(out, options.endpoint_url, create=True)
    target = feed_target(location, filters)
    manifest = load_feed_manifest(location, target, filters)
    remove_stale_temps(location)
    same_transaction = engine.dialect.name == "postgresql"
    with read_snapshot(engine) as conn:
        last, runs = _read_position(conn, target)
        high = max_change_seq(conn)
        if high <= last:
            return FeedResult(target, None, last, last)
        result = FeedResult(target, runs + 1, last, high)
        assert result.run is not None
        for name in names:
            written = _write_table(conn, location, name, filters, result.run, last, high, options)
            if "changes" in written:
                result.changes[name] = written["changes"].rows
            if "deletions" in written:
                result.deletions[name] = written["deletions"].rows
            result.files.extend(written.values())
        merge_run(manifest, result, dataset_schemas(names), snapshot_info(conn))
        write_json(location, MANIFEST, manifest)
        # PostgreSQL: the position commits with the REPEATABLE READ snapshot it was read in.
        if same_transaction:
            _save_position(conn, target, high, result.run)
    if not same_transaction:
        # SQLite has a single writer, and change_seq is taken under its write lock, so every
        # change_seq <= high was committed before our snapshot: saving it now is equally safe.
        with engine.begin() as conn:
            _save_position(conn, target, high, result.run)
    return result
