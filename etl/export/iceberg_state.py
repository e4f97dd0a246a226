"""Which Iceberg tables a run must open: the cheap check that lets it skip the others.

Opening a table costs a catalog query, a metadata file read and its parsing; with dozens of
tables that was most of a run after a small change. So a run first asks the database which
tables moved (one query over the change markers) and the catalog what it holds (one query for
the table names, one for the namespace's properties: `rcetl.held.<table>` holds the
`change_seq` the table is known to hold and a fingerprint of its columns; one property per
table, as the SQL catalog caps a value at 1,000 characters).

That property is only a hint: it is written after the run's commits, and only ever says *at
most* up to which `change_seq` the table's rows are current (a run killed after a table's
commit leaves it behind, never ahead). That is the table's snapshot position, or beyond it when
the ranges since held nothing for the table (a run commits nothing then, see `_plan` in
etl/export/iceberg.py). The table's own snapshot summary stays the source of truth for what to
apply: a table is skipped only when nothing moved above the hint (so nothing that concerns it
moved above its real position either), its columns still have the recorded fingerprint (a
migration that adds a column changes it, and the table is opened and evolved) and the catalog
holds it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlalchemy as sa

from etl.export.changes import ChangeTable
from etl.schema import metadata

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

HINT_PREFIX = "rcetl.held."


def fingerprint(schema: pa.Schema) -> str:
    """A short digest of the columns (names, types, nullability, field metadata)."""
    return hashlib.sha256(schema.to_string(show_schema_metadata=False).encode()).hexdigest()[:16]


def _newest_markers(conn: sa.Connection, tables: Iterable[sa.Table], low: int) -> dict[str, int]:
    """Per table, the newest `change_seq` above `low` among its rows and its tombstones: one
    query (each table's part is an index lookup on `change_seq`)."""
    tomb = metadata.tables["tombstones"]
    parts: list[sa.Select[str, Any]] = [
        sa.select(sa.literal(str(t.name)).label("name"), sa.func.max(t.c.change_seq).label("seq"))
        for t in tables
    ]
    recent = sa.select(tomb.c.table_name, sa.func.max(tomb.c.change_seq))
    parts.append(recent.where(tomb.c.change_seq > low).group_by(tomb.c.table_name))
    newest: dict[str, int] = {}
    for name, seq in conn.execute(sa.union_all(*parts)):
        if seq is not None:
            newest[name] = max(newest.get(name, 0), int(seq))
    return newest


@dataclass
class Hints:
    """What the catalog is known to hold, and what this run learnt (saved after it)."""

    held: dict[str, tuple[int, str]]  # table: (change_seq, fingerprint)
    existing: set[str]
    newest: dict[str, int] = field(default_factory=dict)
    learnt: dict[str, tuple[int, str]] = field(default_factory=dict)

    def skip(self, spec: ChangeTable, schema_print: str) -> bool:
        """Whether `spec`'s table certainly holds everything already (see the module doc)."""
        hint = self.held.get(spec.name)
        if spec.name not in self.existing or hint is None or hint[1] != schema_print:
            return False
        sources = [spec.table] if spec.parent is None else [spec.table, spec.parent]
        return all(self.newest.get(str(t.name), 0) <= hint[0] for t in sources)

    def holds(self, name: str, seq: int, schema_print: str) -> None:
        self.learnt[name] = (seq, schema_print)


def read_hints(
    catalog: Catalog, namespace: str, conn: sa.Connection, specs: list[ChangeTable]
) -> Hints:
    held = {}
    for key, value in catalog.load_namespace_properties(namespace).items():
        if key.startswith(HINT_PREFIX):
            seq, schema_print = value.split(" ", 1)
            held[key.removeprefix(HINT_PREFIX)] = (int(seq), schema_print)
    existing = {ident[-1] for ident in catalog.list_tables(namespace)}
    hints = Hints(held, existing)
    if held:
        tables = {str(t.name): t for s in specs for t in (s.table, s.parent) if t is not None}
        low = min(seq for seq, _ in held.values())
        hints.newest = _newest_markers(conn, tables.values(), low)
    return hints


def save_hints(catalog: Catalog, namespace: str, hints: Hints) -> None:
    """Record what the run's tables hold (the hints of tables it did not cover stay)."""
    updates = {
        f"{HINT_PREFIX}{name}": f"{seq} {schema_print}"
        for name, (seq, schema_print) in hints.learnt.items()
        if hints.held.get(name) != (seq, schema_print)
    }
    if updates:
        catalog.update_namespace_properties(namespace, updates=updates)
