"""SQL and value converters per (dialect, table, columns), built once from the models.

The loader bypasses SQLAlchemy's statement compilation and per-value type processing on the bulk
path (SQLAlchemy Core executemany runs at ~0.5x the raw driver in bench/bench_load.py), so the
conversions the column types would do are applied here, identically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from etl.schema import metadata
from etl.schema.types import (
    JSONText,
    RawJSON,
    SafeText,
    UTCDateTime,
    dumps_json,
    escape_text,
    pg_json_value,
)

DIALECTS = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
}


def sqlite_datetime(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores, so both paths sort and compare alike."""
    if value.tzinfo is UTC:
        return value.isoformat(" ", "microseconds")[:26]  # drop the "+00:00"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


Converter = Callable[[Any], Any]


def sqlite_json(value: Any) -> str:
    return value if type(value) is JSONText else dumps_json(value)


def pg_json(value: Any) -> str:
    return value if type(value) is JSONText else pg_json_value(value)


def json_serialiser(dialect: str) -> Converter:
    """What a RawJSON column's value becomes for `dialect` (wrap it in JSONText to pass it on)."""
    return sqlite_json if dialect == "sqlite" else pg_json


def _converter(column_type: Any, dialect: str) -> Converter | None:
    if isinstance(column_type, RawJSON):
        return json_serialiser(dialect)
    if dialect == "sqlite":
        return sqlite_datetime if isinstance(column_type, UTCDateTime) else None
    if isinstance(column_type, SafeText):
        return escape_text
    return None


@dataclass(frozen=True, slots=True)
class Plan:
    table: Table
    columns: tuple[str, ...]
    quoted: str  # the column list, quoted for the dialect
    sql: str  # INSERT ... VALUES (placeholders) ON CONFLICT ...
    head: str  # INSERT INTO table (columns)
    conflict: str  # ON CONFLICT ...
    to_tuples: Callable[[list[dict[str, Any]], tuple[Any, ...]], list[tuple[Any, ...]]]

    def values(self, rows: list[dict[str, Any]], extra: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Row dicts -> parameter tuples in column order, converted, with `extra` appended."""
        return self.to_tuples(rows, extra)


def _getter(row_columns: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(row_columns) == 1:
        key = row_columns[0]
        return lambda row: (row[key],)
    return itemgetter(*row_columns)


def _to_tuples(
    row_columns: tuple[str, ...], converters: tuple[tuple[int, Converter], ...]
) -> Callable[[list[dict[str, Any]], tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One list comprehension, written for these columns, that builds every row's tuple: it runs
    for each row of a sync (hundreds of thousands), where a loop over the converters of each row
    cost about twice as much (bench/bench_sync.py --pg, py-spy)."""
    if not converters:
        getter = _getter(row_columns)
        return lambda rows, extra: [getter(row) + extra for row in rows]
    by_index = dict(converters)
    items = []
    for i, name in enumerate(row_columns):
        if i in by_index:
            items.append(f"(None if (v{i} := row[{name!r}]) is None else c{i}(v{i}))")
        else:
            items.append(f"row[{name!r}]")
    # Column names come from the models and are written with repr(): nothing else is evaluated.
    source = f"lambda rows, extra: [({', '.join(items)},) + extra for row in rows]"
    namespace = {f"c{i}": fn for i, fn in converters}
    return eval(source, namespace)  # type: ignore[no-any-return]


def table(name: str) -> Table:
    try:
        return metadata.tables[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}") from None


def quote(dialect: str, name: str) -> str:
    return DIALECTS[dialect].identifier_preparer.quote(name)


def placeholder(dialect: str) -> str:
    return "?" if dialect == "sqlite" else "%s"


@lru_cache(maxsize=256)
def upsert_plan(
    dialect: str,
    table_name: str,
    row_columns: tuple[str, ...],
    extra: tuple[str, ...],
    key_columns: tuple[str, ...] | None = None,
    update_columns: tuple[str, ...] | None = None,
) -> Plan:
    """INSERT ... ON CONFLICT (key, default the primary key) DO UPDATE SET `update_columns`
    (default: every given column outside the key)."""
    return _plan(dialect, table_name, row_columns, extra, key_columns, update_columns, update=True)


@lru_cache(maxsize=256)
def insert_plan(
    dialect: str, table_name: str, row_columns: tuple[str, ...], extra: tuple[str, ...]
) -> Plan:
    """INSERT that ignores duplicates (child rows; a server list may repeat an entry)."""
    return _plan(dialect, table_name, row_columns, extra, None, None, update=False)


def _plan(
    dialect: str,
    table_name: str,
    row_columns: tuple[str, ...],
    extra: tuple[str, ...],
    key_columns: tuple[str, ...] | None,
    update_columns: tuple[str, ...] | None,
    *,
    update: bool,
) -> Plan:
    t = table(table_name)
    columns = row_columns + extra
    unknown = [c for c in columns if c not in t.c]
    if unknown:
        raise ValueError(f"table {table_name!r} has no column(s) {unknown}")
    key = key_columns or tuple(c.name for c in t.primary_key.columns)
    changed = update_columns if update_columns is not None else columns
    q = [quote(dialect, c) for c in columns]
    set_columns = [qc for c, qc in zip(columns, q, strict=True) if c not in key and c in changed]
    updates = ", ".join(f"{qc} = excluded.{qc}" for qc in set_columns)
    if update and updates:
        conflict = (
            f"ON CONFLICT ({', '.join(quote(dialect, c) for c in key)}) DO UPDATE SET {updates}"
            f"{_only_if_different(dialect, quote(dialect, table_name), set_columns)}"
        )
    else:
        conflict = "ON CONFLICT DO NOTHING"
    head = f"INSERT INTO {quote(dialect, table_name)} ({', '.join(q)})"
    values = f"VALUES ({', '.join([placeholder(dialect)] * len(q))})"
    converters = []
    for i, name in enumerate(row_columns):
        fn = _converter(t.c[name].type, dialect)
        if fn is not None:
            converters.append((i, fn))
    return Plan(
        table=t,
        columns=columns,
        quoted=", ".join(q),
        to_tuples=_to_tuples(row_columns, tuple(converters)),
        sql=f"{head} {values} {conflict}",
        head=head,
        conflict=conflict,
    )


# The change marker of a write, not content: a row whose other columns are all the same keeps
# its old marker, so an incremental export (`change_seq > last`) does not carry it again.
MARKER = "change_seq"


def _only_if_different(dialect: str, quoted_table: str, set_columns: list[str]) -> str:
    """The DO UPDATE's WHERE: only rows whose content differs are rewritten (an unchanged row
    keeps its `change_seq`, and no UPDATE trigger fires for it)."""
    compared = [qc for qc in set_columns if qc != quote(dialect, MARKER)]
    if not compared:
        return ""
    if dialect == "postgresql":
        stored = ", ".join(f"{quoted_table}.{qc}" for qc in compared)
        new = ", ".join(f"excluded.{qc}" for qc in compared)
        return f" WHERE ({stored}) IS DISTINCT FROM ({new})"
    same = " AND ".join(f"{quoted_table}.{qc} IS excluded.{qc}" for qc in compared)
    return f" WHERE NOT ({same})"


def ids_param(dialect: str, ids: list[Any]) -> tuple[str, Any]:
    """A SQL fragment matching a column against a list of ids, and its single parameter."""
    if dialect == "sqlite":
        return "IN (SELECT value FROM json_each(?))", dumps_json(ids)
    return "= ANY(%s)", list(ids)


def ids_in(column: ColumnElement[Any], ids: list[Any], dialect: str) -> ColumnElement[bool]:
    """`ids_param` as a SQLAlchemy expression: `column IN ids` with the ids in ONE bound
    parameter (SQLAlchemy's expanding IN coerces, names and binds every value in Python, which
    cost more than the query for a few thousand ids)."""
    if dialect == "sqlite":
        array = bindparam(None, dumps_json(ids), type_=String)
        values = func.json_each(array).table_valued("value")
        return column.in_(select(values.c.value))
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(String)))
    return column.in_(ids)
