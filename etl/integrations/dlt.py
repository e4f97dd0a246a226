"""A dlt source over the synced database: any dlt destination gets the live Rocket.Chat tables.

    import dlt
    from etl.integrations.dlt import rocketchat_source

    pipeline = dlt.pipeline("rocketchat", destination="duckdb", dataset_name="rocketchat")
    pipeline.run(rocketchat_source("sqlite:///rcetl.db"))

One resource per synced and child table (the same list, Arrow schemas and change sets as the
Iceberg export), `write_disposition="merge"`:

- synced tables: `primary_key="id"`; a soft-deleted row or a purge (tombstone) arrives with
  `deleted_at` set, which is the resource's hard-delete column, so the destination drops the row;
- child tables: their composite primary key, and the parent's id as `merge_key`: the children of
  every changed parent are replaced as a whole (delete-insert), and a parent left with no live
  children sends one marker row with `deleted_at` set, so its old children go too;
- incremental: each resource keeps the last `change_seq` it loaded in dlt's own resource state
  and reads `(last, newest]` from one database snapshot; the state is saved with the load.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa
import sqlalchemy as sa
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.common.typing import TColumnNames
from dlt.extract.resource import DltResource

from etl.export.arrow_schema import TIMESTAMP, arrow_schema
from etl.export.changes import ChangeTable, change_tables, live_rows_where, read_keys
from etl.export.options import BATCH_ROWS
from etl.export.reader import iter_batches, read_snapshot
from etl.export.snapshot import max_change_seq

DELETED = "deleted_at"
STATE_KEY = "change_seq"


def _loose(schema: pa.Schema) -> pa.Schema:
    """Every column nullable (deletion markers carry only keys), `deleted_at` on every table."""
    fields = [f.with_nullable(True) for f in schema]
    if DELETED not in schema.names:
        fields.append(pa.field(DELETED, TIMESTAMP))
    return pa.schema(fields)


def _markers(spec: ChangeTable, schema: pa.Schema, keys: Sequence[str]) -> pa.Table:
    """Rows that only say "everything under these keys is gone": the key column set, the other
    primary-key columns given placeholder values (dlt requires them), `deleted_at` set."""
    now = datetime.now(UTC)
    columns: dict[str, pa.Array] = {}
    for f in schema:
        if f.name == spec.key:
            columns[f.name] = pa.array(keys, f.type)
        elif f.name == DELETED:
            columns[f.name] = pa.array([now] * len(keys), f.type)
        elif f.name in spec.primary_key:
            placeholder = 0 if pa.types.is_integer(f.type) else ""
            columns[f.name] = pa.array([placeholder] * len(keys), f.type)
        else:
            columns[f.name] = pa.nulls(len(keys), f.type)
    return pa.table(columns, schema=schema)


def _live_keys(conn: sa.Connection, spec: ChangeTable, where: Any) -> set[str]:
    column = spec.table.c[spec.key]
    return {str(r[0]) for r in conn.execute(sa.select(column).where(where).distinct())}


def _changes(
    engine: sa.Engine, spec: ChangeTable, last: int, batch_rows: int
) -> Iterator[pa.Table | int]:
    """Arrow tables to load for (last, newest], then the newest `change_seq` itself."""
    schema = _loose(arrow_schema(spec.table))
    with read_snapshot(engine) as conn:
        high = max_change_seq(conn)
        if high <= last:
            yield high
            return
        where = live_rows_where(spec, last, high)
        order = list(spec.table.primary_key.columns)
        for batch in iter_batches(conn, spec.table, where, order, batch_rows):
            yield _conform(batch, schema)
        if last > 0:
            keys = read_keys(conn, spec, last, high)
            gone = sorted(set(keys) - _live_keys(conn, spec, where)) if keys else []
            if gone:
                yield _markers(spec, schema, gone)
        yield high


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.Table:
    table = pa.Table.from_batches([batch])
    if DELETED not in table.schema.names:
        table = table.append_column(DELETED, pa.nulls(table.num_rows, TIMESTAMP))
    return table.cast(schema)


def _resource(database_url: str, spec: ChangeTable, batch_rows: int) -> DltResource:
    columns: TTableSchemaColumns = {
        DELETED: {"hard_delete": True, "data_type": "timestamp", "nullable": True}
    }
    is_child = spec.parent is not None
    # None is dlt's default ("no merge key"), which its annotation omits (implicit Optional).
    merge_key: TColumnNames = spec.key if is_child else None  # type: ignore[assignment]

    def rows() -> Iterator[pa.Table]:
        state = dlt.current.resource_state()
        last = int(state.get(STATE_KEY, 0))
        engine = sa.create_engine(database_url)
        try:
            for item in _changes(engine, spec, last, batch_rows):
                if isinstance(item, int):
                    state[STATE_KEY] = item
                elif item.num_rows:
                    yield item
        finally:
            engine.dispose()

    return dlt.resource(
        rows,
        name=spec.name,
        primary_key=spec.primary_key if is_child else "id",
        merge_key=merge_key,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        columns=columns,
    )


@dlt.source(name="rocketchat")
def rocketchat_source(
    database_url: str, tables: Sequence[str] | None = None, batch_rows: int = BATCH_ROWS
) -> Iterator[DltResource]:
    """One merge resource per synced and child table of the rcetl database at `database_url`
    (optionally only `tables`)."""
    for spec in change_tables():
        if tables is None or spec.name in tables:
            yield _resource(database_url, spec, batch_rows)
