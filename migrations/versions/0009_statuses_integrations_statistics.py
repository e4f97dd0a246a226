"""custom_user_statuses, integrations, integration_history, server_statistics (issue 11)

Integrations never hold their webhook token or (by default) their scripts: see etl.scrub.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import etl.schema.types

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_user_statuses",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("status_type", etl.schema.types.SafeText(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_user_statuses")),
    )
    with op.batch_alter_table("custom_user_statuses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custom_user_statuses_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "integrations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("type", etl.schema.types.SafeText(), nullable=True),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("event", etl.schema.types.SafeText(), nullable=True),
        sa.Column("username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("alias", etl.schema.types.SafeText(), nullable=True),
        sa.Column("avatar", etl.schema.types.SafeText(), nullable=True),
        sa.Column("emoji", etl.schema.types.SafeText(), nullable=True),
        sa.Column("user_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("impersonate_user", sa.Boolean(), nullable=True),
        sa.Column("script_enabled", sa.Boolean(), nullable=True),
        sa.Column("has_script", sa.Boolean(), nullable=True),
        sa.Column("has_token", sa.Boolean(), nullable=True),
        sa.Column("created_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("created_by_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
    )
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integrations_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "integration_history",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("integration_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("type", etl.schema.types.SafeText(), nullable=True),
        sa.Column("step", etl.schema.types.SafeText(), nullable=True),
        sa.Column("event", etl.schema.types.SafeText(), nullable=True),
        sa.Column("trigger_word", etl.schema.types.SafeText(), nullable=True),
        sa.Column("ran_script", sa.Boolean(), nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Boolean(), nullable=True),
        sa.Column("created_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_history")),
    )
    with op.batch_alter_table("integration_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_history_change_seq"), ["change_seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_history_integration_id"), ["integration_id"], unique=False
        )

    op.create_table(
        "server_statistics",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("snapshot_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("unique_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("version", etl.schema.types.SafeText(), nullable=True),
        sa.Column("installed_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("total_users", sa.Integer(), nullable=True),
        sa.Column("active_users", sa.Integer(), nullable=True),
        sa.Column("non_active_users", sa.Integer(), nullable=True),
        sa.Column("online_users", sa.Integer(), nullable=True),
        sa.Column("away_users", sa.Integer(), nullable=True),
        sa.Column("offline_users", sa.Integer(), nullable=True),
        sa.Column("total_rooms", sa.Integer(), nullable=True),
        sa.Column("total_channels", sa.Integer(), nullable=True),
        sa.Column("total_private_groups", sa.Integer(), nullable=True),
        sa.Column("total_direct", sa.Integer(), nullable=True),
        sa.Column("total_livechat", sa.Integer(), nullable=True),
        sa.Column("total_messages", sa.BigInteger(), nullable=True),
        sa.Column("total_channel_messages", sa.BigInteger(), nullable=True),
        sa.Column("total_private_group_messages", sa.BigInteger(), nullable=True),
        sa.Column("total_direct_messages", sa.BigInteger(), nullable=True),
        sa.Column("total_livechat_messages", sa.BigInteger(), nullable=True),
        sa.Column("instance_count", sa.Integer(), nullable=True),
        sa.Column("last_login", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_message_sent_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_statistics")),
    )
    with op.batch_alter_table("server_statistics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_server_statistics_change_seq"), ["change_seq"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_server_statistics_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("server_statistics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_server_statistics_change_seq"))
        batch_op.drop_index(batch_op.f("ix_server_statistics_run_id"))
    op.drop_table("server_statistics")
    with op.batch_alter_table("integration_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_history_change_seq"))
        batch_op.drop_index(batch_op.f("ix_integration_history_integration_id"))
    op.drop_table("integration_history")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integrations_change_seq"))
    op.drop_table("integrations")
    with op.batch_alter_table("custom_user_statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_user_statuses_change_seq"))
    op.drop_table("custom_user_statuses")
