"""message_versions (edit and deletion history) and legal_holds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 11:14:52.868469
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import etl.schema.types

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("target_id", sa.String(), nullable=False),
        sa.Column("target_name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("reason", etl.schema.types.SafeText(), nullable=True),
        sa.Column("until", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", etl.schema.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", etl.schema.types.SafeText(), nullable=False),
        sa.Column("removed_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", etl.schema.types.SafeText(), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_holds_target_id"), ["target_id"], unique=False)

    op.create_table(
        "message_versions",
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("msg", etl.schema.types.SafeText(), nullable=True),
        sa.Column("attachments", etl.schema.types.RawJSON(), nullable=True),
        sa.Column("edited_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("edited_by_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("edited_by_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("observed_at", etl.schema.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("content_hash", etl.schema.types.SafeText(), nullable=True),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", "version", name=op.f("pk_message_versions")),
    )
    with op.batch_alter_table("message_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_versions_change_seq"), ["change_seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_versions_change_seq"))

    op.drop_table("message_versions")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_target_id"))
        batch_op.drop_index(batch_op.f("ix_legal_holds_change_seq"))

    op.drop_table("legal_holds")
