"""sync_runs: the server each run talked to (URL without credentials, version)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import etl.schema.types

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server_url", etl.schema.types.SafeText(), nullable=True))
        batch_op.add_column(sa.Column("server_version", etl.schema.types.SafeText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("server_version")
        batch_op.drop_column("server_url")
