"""The Iceberg table of a database table: created (partitioned, with the product's version), or
evolved to the database table's current columns, and the `change_seq` position it holds.
Imported only by functions that already use pyiceberg (it is an optional extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import sqlalchemy as sa

from etl.export.arrow_schema import arrow_schema
from etl.export.manifest import tool_version

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

SEQ_FROM = "rcetl.change-seq-from"
SEQ_TO = "rcetl.change-seq-to"
VERSION_PROPERTY = "rcetl.version"
# Tables partitioned by the month of a timestamp column.
MONTH_PARTITIONS = {"messages": "ts"}


def table_position(table: Table) -> int:
    """The `change_seq` the table holds: the newest snapshot in its history that recorded one."""
    snapshot = table.current_snapshot()
    while snapshot is not None:
        value = snapshot.summary.additional_properties.get(SEQ_TO) if snapshot.summary else None
        if value is not None:
            return int(value)
        parent = snapshot.parent_snapshot_id
        snapshot = table.snapshot_by_id(parent) if parent is not None else None
    return 0


def _create(catalog: Catalog, ident: tuple[str, str], schema: pa.Schema, name: str) -> Table:
    from pyiceberg.transforms import MonthTransform

    properties = {VERSION_PROPERTY: tool_version(), "write.parquet.compression-codec": "zstd"}
    tx = catalog.create_table_transaction(ident, schema=schema, properties=properties)
    if name in MONTH_PARTITIONS:
        column = MONTH_PARTITIONS[name]
        with tx.update_spec() as spec:
            spec.add_field(column, MonthTransform(), f"{column}_month")
    tx.commit_transaction()
    return catalog.load_table(ident)


def ensure_table(catalog: Catalog, namespace: str, table: sa.Table) -> tuple[Table, list[str]]:
    """The Iceberg table for `table`, created or evolved to its current columns; returns it
    and the columns added now (a migration added them; they are optional in Iceberg, which
    cannot add a required column to existing data)."""
    from pyiceberg.exceptions import NoSuchTableError

    schema = arrow_schema(table)
    ident = (namespace, str(table.name))
    try:
        iceberg = catalog.load_table(ident)
    except NoSuchTableError:
        return _create(catalog, ident, schema, str(table.name)), []
    known = set(iceberg.schema().column_names)
    missing = [f.with_nullable(True) for f in schema if f.name not in known]
    if missing:
        with iceberg.update_schema() as update:  # the commit updates `iceberg` in place
            update.union_by_name(pa.schema(missing))
    return iceberg, [f.name for f in missing]
