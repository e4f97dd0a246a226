"""Change sets between two `change_seq` positions, for targets that hold the current state.

The Parquet feed ships changes and deletions for a loader to replay; the Iceberg tables and the
dlt source instead keep a copy of the live rows up to date, and both need the same two answers
per table, for every synced and child table (so tables added later are covered without code):

- the *keys* whose rows the target must drop: for a synced table the ids written (upserted,
  soft-deleted, redacted) or purged (tombstones) in the range; for a child table the parent ids
  written or purged in the range, plus the parents of child rows written in it, since children
  are replaced per parent and a replaced child leaves no trace of its own;
- the *live rows* to write back for those keys: rows not soft-deleted, and children whose parent
  is not soft-deleted (under the `keep` policy a deleted message keeps its reactions in the
  database, but they are no more part of the live state than the message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from etl.schema import CHILD_TABLES, SYNCED_TABLES, metadata


@dataclass(frozen=True)
class ChangeTable:
    """One table and how a change to it is addressed."""

    table: sa.Table
    key: str  # "id", or the column holding the parent's id
    parent: sa.Table | None

    @property
    def name(self) -> str:
        return str(self.table.name)

    @property
    def primary_key(self) -> list[str]:
        return [c.name for c in self.table.primary_key.columns]


def change_tables(schema: sa.MetaData = metadata) -> list[ChangeTable]:
    """Every synced and child table of `schema`, synced tables first."""
    found = []
    for name in [*SYNCED_TABLES, *CHILD_TABLES]:
        if name not in schema.tables:
            continue
        parent_name, column = CHILD_TABLES.get(name, (None, "id"))
        parent = schema.tables[parent_name] if parent_name else None
        found.append(ChangeTable(schema.tables[name], column, parent))
    return found


def _in_range(table: sa.Table, low: int, high: int) -> list[sa.ColumnElement[bool]]:
    return [table.c.change_seq > low, table.c.change_seq <= high]


def _purged(table: sa.Table, low: int, high: int) -> sa.Select[Any]:
    tomb = metadata.tables["tombstones"]
    return sa.select(tomb.c.id).where(tomb.c.table_name == table.name, *_in_range(tomb, low, high))


def changed_keys(spec: ChangeTable, low: int, high: int) -> sa.CompoundSelect[tuple[Any]]:
    """The key values whose target rows must be replaced for the range (low, high]."""
    table = spec.table
    if spec.parent is None:
        return sa.union(
            sa.select(table.c.id).where(*_in_range(table, low, high)), _purged(table, low, high)
        )
    parent = spec.parent
    return sa.union(
        sa.select(parent.c.id).where(*_in_range(parent, low, high)),
        _purged(parent, low, high),
        sa.select(table.c[spec.key]).where(*_in_range(table, low, high)),
    )


def live(spec: ChangeTable) -> sa.ColumnElement[bool]:
    """Rows that are part of the current state."""
    if spec.parent is None:
        return spec.table.c.deleted_at.is_(None)
    parent = spec.parent
    deleted_parent = sa.exists().where(
        parent.c.id == spec.table.c[spec.key], parent.c.deleted_at.is_not(None)
    )
    return ~deleted_parent


def live_rows_where(spec: ChangeTable, low: int, high: int) -> sa.ColumnElement[bool]:
    """Live rows to write for (low, high]; every live row when `low` is 0 (a first load)."""
    if low <= 0:
        return live(spec)
    keys = changed_keys(spec, low, high).subquery()
    return sa.and_(live(spec), spec.table.c[spec.key].in_(sa.select(*keys.c)))


KeyCache = dict[tuple[str, int, int], list[str]]


def read_keys(
    conn: sa.Connection, spec: ChangeTable, low: int, high: int, cache: KeyCache | None = None
) -> list[str]:
    """`changed_keys` read; with a `cache` (one per read snapshot), a synced table's keys are
    read once per range and reused for each of its child tables."""
    if cache is None:
        return [str(row[0]) for row in conn.execute(changed_keys(spec, low, high))]
    if spec.parent is None:
        ident = (spec.name, low, high)
        if ident not in cache:
            cache[ident] = read_keys(conn, spec, low, high)
        return cache[ident]
    parents = read_keys(conn, ChangeTable(spec.parent, "id", None), low, high, cache)
    column = spec.table.c[spec.key]
    own = sa.select(column).where(*_in_range(spec.table, low, high)).distinct()
    return sorted({*parents, *(str(row[0]) for row in conn.execute(own))})
