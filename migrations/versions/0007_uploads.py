"""uploads: the *.files documents (no `token`) and the file download's bookkeeping (issue 11)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 14:10:44.382123
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import etl.schema.types

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("type", etl.schema.types.SafeText(), nullable=True),
        sa.Column("extension", etl.schema.types.SafeText(), nullable=True),
        sa.Column("rid", etl.schema.types.SafeText(), nullable=True),
        sa.Column("user_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("user_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("uploaded_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("store", etl.schema.types.SafeText(), nullable=True),
        sa.Column("path", etl.schema.types.SafeText(), nullable=True),
        sa.Column("url", etl.schema.types.SafeText(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=True),
        sa.Column("description", etl.schema.types.SafeText(), nullable=True),
        sa.Column("etag", etl.schema.types.SafeText(), nullable=True),
        sa.Column("file_status", etl.schema.types.SafeText(), nullable=True),
        sa.Column("file_reason", etl.schema.types.SafeText(), nullable=True),
        sa.Column("file_checked_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("file_sha256", etl.schema.types.SafeText(), nullable=True),
        sa.Column("file_stored_path", etl.schema.types.SafeText(), nullable=True),
        sa.Column("file_size", sa.BigInteger(), nullable=True),
        sa.Column("file_version", etl.schema.types.SafeText(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_change_seq"), ["change_seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_file_sha256"), ["file_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_rid"), ["rid"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_user_id"))
        batch_op.drop_index(batch_op.f("ix_uploads_rid"))
        batch_op.drop_index(batch_op.f("ix_uploads_file_sha256"))
        batch_op.drop_index(batch_op.f("ix_uploads_change_seq"))

    op.drop_table("uploads")
