"""Arrow schemas derived from the SQLAlchemy models, and rows -> Arrow record batches.

Every column gets an explicit Arrow type, so a dataset's schema is the same on every run and on
both database dialects, whatever the data: timestamps are `timestamp("ms", tz="UTC")`, integers
`int64`, booleans `bool`, floats `float64`, text `string`. JSON columns (`raw`, `settings.value`,
...) become JSON *strings*: Rocket.Chat documents change shape between server versions and even
between messages, and a struct inferred from them would drift from run to run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from etl.schema.types import NUL_FLAG, dumps_json, unescape_json

TIMESTAMP = pa.timestamp("ms", tz="UTC")


class UnsupportedColumnError(TypeError):
    """A model column whose SQL type has no Arrow mapping yet."""


def _base_type(sql_type: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    while isinstance(sql_type, TypeDecorator):
        sql_type = sql_type.impl_instance
    return sql_type


def is_json(column: sa.Column[Any]) -> bool:
    return isinstance(_base_type(column.type), sa.JSON)


def arrow_type(column: sa.Column[Any]) -> pa.DataType:
    """The Arrow type of one model column (order matters: Boolean before Integer, etc.)."""
    base = _base_type(column.type)
    mapping: list[tuple[type, pa.DataType]] = [
        (sa.JSON, pa.string()),
        (sa.Boolean, pa.bool_()),
        (sa.Integer, pa.int64()),
        (sa.Float, pa.float64()),
        (sa.Numeric, pa.float64()),
        (sa.DateTime, TIMESTAMP),
        (sa.Date, pa.date32()),
        (sa.LargeBinary, pa.binary()),
        (sa.String, pa.string()),
    ]
    for sql_cls, arrow in mapping:
        if isinstance(base, sql_cls):
            return arrow
    raise UnsupportedColumnError(
        f"{column.table.name}.{column.name}: no Arrow type for SQL type {base!r}"
    )


def arrow_schema(table: sa.Table) -> pa.Schema:
    """The Arrow schema of a table; `nullable` follows the model, JSON columns are flagged."""
    fields = []
    for column in table.columns:
        metadata = {b"rcetl.json": b"true"} if is_json(column) else None
        fields.append(pa.field(column.name, arrow_type(column), bool(column.nullable), metadata))
    return pa.schema(fields)


def select_columns(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    """Columns to select: JSON columns are read as text, skipping a parse/serialize round trip."""
    return [
        sa.cast(column, sa.Text).label(column.name) if is_json(column) else column
        for column in table.columns
    ]


def _json_text_fixer(text: str | None) -> str | None:
    # PostgreSQL-only: documents holding NUL are stored escaped and flagged (etl.schema.types);
    # undo that, so the export holds what the server sent.
    if text is None or NUL_FLAG not in text:
        return text
    return dumps_json(unescape_json(orjson.loads(text)))


@dataclass(frozen=True)
class BatchBuilder:
    """Turns lists of DB rows (tuples in `schema` order) into Arrow record batches."""

    schema: pa.Schema
    fixers: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def for_table(cls, table: sa.Table, dialect: str) -> BatchBuilder:
        fix_json = dialect == "postgresql"
        fixers = tuple(
            _json_text_fixer if (fix_json and is_json(c)) else None for c in table.columns
        )
        return cls(arrow_schema(table), fixers)

    def build(self, rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in self.schema]
        arrays = []
        for values, field, fixer in zip(columns, self.schema, self.fixers, strict=True):
            if fixer is not None:
                values = [fixer(v) for v in values]
            arrays.append(pa.array(values, type=field.type))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)
