"""What a current-state target (Iceberg tables, a dlt destination) must hold: the live rows.

Written here from the schema alone, not with etl.export.changes, so the tests check that
module rather than repeat it: synced rows not soft-deleted, children of parents not
soft-deleted (purged parents took their children with them).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from etl.schema import CHILD_TABLES, SYNCED_TABLES, metadata
from tests.export._data import db_rows

TABLES = [*SYNCED_TABLES, *CHILD_TABLES]


def live_db_rows(engine: sa.Engine, name: str) -> dict[Any, dict[str, Any]]:
    table = metadata.tables[name]
    if name in SYNCED_TABLES:
        return db_rows(engine, name, table.c.deleted_at.is_(None))
    parent_name, column = CHILD_TABLES[name]
    parent = metadata.tables[parent_name]
    deleted = sa.select(parent.c.id).where(parent.c.deleted_at.is_not(None))
    return db_rows(engine, name, table.c[column].not_in(deleted))
