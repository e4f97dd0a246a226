"""messages.content_digest and message_versions_pending: a first load's versions in one pass

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import etl.schema.types
from etl.schema import VIEWS

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL fixes a view's columns when it is created: `threads` (messages.*) is recreated.
    op.execute("DROP VIEW IF EXISTS threads")
    # Plain ALTER TABLE on SQLite too: a batch rebuild of `messages` would drop its FTS triggers.
    op.add_column("messages", sa.Column("content_digest", etl.schema.types.SafeText()))
    op.execute(f"CREATE VIEW threads AS {VIEWS['threads']}")
    op.create_table(
        "message_versions_pending",
        sa.Column("change_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("observed_at", etl.schema.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("change_seq", name=op.f("pk_message_versions_pending")),
    )


def downgrade() -> None:
    op.drop_table("message_versions_pending")
    op.execute("DROP VIEW IF EXISTS threads")
    op.execute("ALTER TABLE messages DROP COLUMN content_digest")
    op.execute(f"CREATE VIEW threads AS {VIEWS['threads']}")
