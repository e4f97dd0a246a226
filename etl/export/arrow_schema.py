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
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from etl.schema.types import MARK, NUL_FLAG, SafeText, dumps_json, unescape_json, unescape_text

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
    """Columns to select, as the driver returns them (no SQLAlchemy result processing, which
    costs more than the rest of the export): JSON columns as text, everything else raw. The
    `BatchBuilder` of the same table turns these raw values into typed Arrow arrays."""
    raw = sa.types.NullType()
    return [
        sa.type_coerce(sa.cast(c, sa.Text) if is_json(c) else c, raw).label(c.name)
        for c in table.columns
    ]


Converter = Callable[[Sequence[Any]], pa.Array]


def _plain(arrow: pa.DataType) -> Converter:
    return lambda values: pa.array(values, type=arrow)


def _sqlite_timestamp(values: Sequence[Any]) -> pa.Array:
    """SQLite stores UTC as `YYYY-MM-DD HH:MM:SS.ffffff` text; Arrow parses it in C++."""
    text = pa.array(values, type=pa.string())
    try:
        naive = text.cast(pa.timestamp("us"))
    except pa.ArrowInvalid:  # some other spelling: parse it in Python, still as UTC
        parsed = [None if v is None else datetime.fromisoformat(v) for v in values]
        return pa.array(parsed, type=TIMESTAMP)
    return naive.cast(pa.timestamp("us", tz="UTC")).cast(TIMESTAMP, safe=False)


def _sqlite_bool(values: Sequence[Any]) -> pa.Array:
    return pa.array(values, type=pa.int64()).cast(pa.bool_())


def _fix_marked(arrow: pa.Array, marker: str, fix: Callable[[str], str]) -> pa.Array:
    """Apply `fix` to the (rare) values containing `marker`; others are left alone in Arrow."""
    if not pc.any(pc.match_substring(arrow, marker)).as_py():
        return arrow
    return pa.array([v if v is None or marker not in v else fix(v) for v in arrow.to_pylist()])


def _pg_json(values: Sequence[Any]) -> pa.Array:
    # Documents holding NUL are stored escaped and flagged (etl.schema.types): undo that, so the
    # export holds what the server sent.
    def fix(text: str) -> str:
        return dumps_json(unescape_json(orjson.loads(text)))

    return _fix_marked(pa.array(values, type=pa.string()), NUL_FLAG, fix)


def _pg_safe_text(values: Sequence[Any]) -> pa.Array:
    return _fix_marked(pa.array(values, type=pa.string()), MARK, unescape_text)


def _converter(column: sa.Column[Any], dialect: str) -> Converter:
    arrow = arrow_type(column)
    if dialect == "sqlite" and arrow == TIMESTAMP:
        return _sqlite_timestamp
    if dialect == "sqlite" and arrow == pa.bool_():
        return _sqlite_bool
    if dialect == "postgresql" and is_json(column):
        return _pg_json
    if dialect == "postgresql" and isinstance(column.type, SafeText):
        return _pg_safe_text
    return _plain(arrow)


@dataclass(frozen=True)
class BatchBuilder:
    """Turns lists of DB rows (tuples in `schema` order) into Arrow record batches."""

    schema: pa.Schema
    converters: tuple[Converter, ...]

    @classmethod
    def for_table(cls, table: sa.Table, dialect: str) -> BatchBuilder:
        """For rows selected with `select_columns(table)`."""
        return cls(arrow_schema(table), tuple(_converter(c, dialect) for c in table.columns))

    @classmethod
    def for_typed(cls, schema: pa.Schema) -> BatchBuilder:
        """For rows SQLAlchemy already converted (aware datetimes, bools, ...)."""
        return cls(schema, tuple(_plain(field.type) for field in schema))

    def build(self, rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in self.schema]
        arrays = [convert(values) for convert, values in zip(self.converters, columns, strict=True)]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)
