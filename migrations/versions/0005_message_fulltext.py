"""full-text search over messages: SQLite FTS5 (external content + triggers), PostgreSQL GIN

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

from etl.fulltext.names import FTS_TABLE, PG_INDEX, PG_VECTOR, SQLITE_TRIGGERS

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(msg, content='messages', "
    "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    *SQLITE_TRIGGERS,
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS messages_fts_au",
    "DROP TRIGGER IF EXISTS messages_fts_ad",
    "DROP TRIGGER IF EXISTS messages_fts_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX {PG_INDEX} ON messages USING gin ({PG_VECTOR})")
        return
    for statement in SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        return
    for statement in SQLITE_DOWN:
        op.execute(statement)
