"""full-text search over messages: SQLite FTS5 (external content + triggers), PostgreSQL GIN

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

from etl.fulltext.names import FTS_TABLE, PG_INDEX, PG_VECTOR

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The loader upserts with ON CONFLICT DO UPDATE, which keeps a row's rowid, so the FTS rows stay
# attached to their message; the update trigger fires only when the text changed.
SQLITE_UP = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(msg, content='messages', "
    "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, msg) VALUES (new.rowid, new.msg); END",
    f"CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, msg) VALUES ('delete', old.rowid, old.msg); END",
    f"CREATE TRIGGER messages_fts_au AFTER UPDATE OF msg ON messages "
    f"WHEN old.msg IS NOT new.msg BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, msg) VALUES ('delete', old.rowid, old.msg); "
    f"INSERT INTO {FTS_TABLE}(rowid, msg) VALUES (new.rowid, new.msg); END",
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
