"""omnichannel: livechat chats, visitors, departments and their agents, agents, managers,
custom fields, inquiries, triggers, office hours, and their child tables (tags, livechatData,
transfers)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 14:06:45.150852
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import etl.schema.types

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "livechat_agents",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("status", etl.schema.types.SafeText(), nullable=True),
        sa.Column("status_livechat", etl.schema.types.SafeText(), nullable=True),
        sa.Column("email", etl.schema.types.SafeText(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_agents")),
    )
    with op.batch_alter_table("livechat_agents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_agents_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "livechat_custom_fields",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("label", etl.schema.types.SafeText(), nullable=True),
        sa.Column("scope", etl.schema.types.SafeText(), nullable=True),
        sa.Column("visibility", etl.schema.types.SafeText(), nullable=True),
        sa.Column("type", etl.schema.types.SafeText(), nullable=True),
        sa.Column("regexp", etl.schema.types.SafeText(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=True),
        sa.Column("default_value", etl.schema.types.SafeText(), nullable=True),
        sa.Column("options", etl.schema.types.SafeText(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_custom_fields")),
    )
    with op.batch_alter_table("livechat_custom_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_custom_fields_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "livechat_department_agents",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("department_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("agent_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("agent_order", sa.Integer(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_department_agents")),
    )
    with op.batch_alter_table("livechat_department_agents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_department_agents_agent_id"), ["agent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_livechat_department_agents_change_seq"), ["change_seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_livechat_department_agents_department_id"),
            ["department_id"],
            unique=False,
        )

    op.create_table(
        "livechat_departments",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("description", etl.schema.types.SafeText(), nullable=True),
        sa.Column("num_agents", sa.Integer(), nullable=True),
        sa.Column("show_on_registration", sa.Boolean(), nullable=True),
        sa.Column("show_on_offline_form", sa.Boolean(), nullable=True),
        sa.Column("email", etl.schema.types.SafeText(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_departments")),
    )
    with op.batch_alter_table("livechat_departments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_departments_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "livechat_inquiries",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("rid", etl.schema.types.SafeText(), nullable=True),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("ts", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", etl.schema.types.SafeText(), nullable=True),
        sa.Column("department", etl.schema.types.SafeText(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_inquiries")),
    )
    with op.batch_alter_table("livechat_inquiries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_inquiries_change_seq"), ["change_seq"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_livechat_inquiries_rid"), ["rid"], unique=False)

    op.create_table(
        "livechat_managers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("status", etl.schema.types.SafeText(), nullable=True),
        sa.Column("status_livechat", etl.schema.types.SafeText(), nullable=True),
        sa.Column("email", etl.schema.types.SafeText(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_managers")),
    )
    with op.batch_alter_table("livechat_managers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_managers_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "livechat_office_hours",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("day", etl.schema.types.SafeText(), nullable=True),
        sa.Column("start", etl.schema.types.SafeText(), nullable=True),
        sa.Column("finish", etl.schema.types.SafeText(), nullable=True),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_office_hours")),
    )
    with op.batch_alter_table("livechat_office_hours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_office_hours_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "livechat_room_data",
        sa.Column("room_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", etl.schema.types.RawJSON(), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "key", name=op.f("pk_livechat_room_data")),
    )
    with op.batch_alter_table("livechat_room_data", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_room_data_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "livechat_room_tags",
        sa.Column("room_id", sa.String(), nullable=False),
        sa.Column("tag", sa.String(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "tag", name=op.f("pk_livechat_room_tags")),
    )
    with op.batch_alter_table("livechat_room_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_room_tags_change_seq"), ["change_seq"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_livechat_room_tags_tag"), ["tag"], unique=False)

    op.create_table(
        "livechat_rooms",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("fname", etl.schema.types.SafeText(), nullable=True),
        sa.Column("ts", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("open", sa.Boolean(), nullable=True),
        sa.Column("closed_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closer", etl.schema.types.SafeText(), nullable=True),
        sa.Column("closed_by_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("closed_by_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("visitor_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("visitor_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("visitor_token", etl.schema.types.SafeText(), nullable=True),
        sa.Column("visitor_status", etl.schema.types.SafeText(), nullable=True),
        sa.Column("served_by_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("served_by_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("served_by_ts", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_by_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("response_by_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("department_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("waiting_response", sa.Boolean(), nullable=True),
        sa.Column("msgs", sa.Integer(), nullable=True),
        sa.Column("lm", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source_type", etl.schema.types.SafeText(), nullable=True),
        sa.Column("visitor_last_query", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("agent_last_reply", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_total_time", sa.Float(), nullable=True),
        sa.Column("response_count", sa.Integer(), nullable=True),
        sa.Column("response_avg", sa.Float(), nullable=True),
        sa.Column("first_response_time", sa.Float(), nullable=True),
        sa.Column("reaction_total_time", sa.Float(), nullable=True),
        sa.Column("first_reaction_time", sa.Float(), nullable=True),
        sa.Column("chat_duration", sa.Float(), nullable=True),
        sa.Column("service_time_duration", sa.Float(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_rooms")),
    )
    with op.batch_alter_table("livechat_rooms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_rooms_change_seq"), ["change_seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_livechat_rooms_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_livechat_rooms_served_by_id"), ["served_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_livechat_rooms_visitor_id"), ["visitor_id"], unique=False
        )

    op.create_table(
        "livechat_transfers",
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("room_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("ts", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scope", etl.schema.types.SafeText(), nullable=True),
        sa.Column("comment", etl.schema.types.SafeText(), nullable=True),
        sa.Column("transferred_by_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("transferred_by_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("transferred_by_type", etl.schema.types.SafeText(), nullable=True),
        sa.Column("transferred_to_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("transferred_to_username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("previous_department_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("next_department_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_livechat_transfers")),
    )
    with op.batch_alter_table("livechat_transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_transfers_change_seq"), ["change_seq"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_livechat_transfers_room_id"), ["room_id"], unique=False
        )

    op.create_table(
        "livechat_triggers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("description", etl.schema.types.SafeText(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("run_once", sa.Boolean(), nullable=True),
        sa.Column("conditions", etl.schema.types.RawJSON(), nullable=True),
        sa.Column("actions", etl.schema.types.RawJSON(), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_triggers")),
    )
    with op.batch_alter_table("livechat_triggers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_triggers_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "livechat_visitor_data",
        sa.Column("visitor_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", etl.schema.types.RawJSON(), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("visitor_id", "key", name=op.f("pk_livechat_visitor_data")),
    )
    with op.batch_alter_table("livechat_visitor_data", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_visitor_data_change_seq"), ["change_seq"], unique=False
        )

    op.create_table(
        "livechat_visitors",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("username", etl.schema.types.SafeText(), nullable=True),
        sa.Column("name", etl.schema.types.SafeText(), nullable=True),
        sa.Column("token", etl.schema.types.SafeText(), nullable=True),
        sa.Column("status", etl.schema.types.SafeText(), nullable=True),
        sa.Column("department", etl.schema.types.SafeText(), nullable=True),
        sa.Column("email", etl.schema.types.SafeText(), nullable=True),
        sa.Column("phone", etl.schema.types.SafeText(), nullable=True),
        sa.Column("ts", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_chat_id", etl.schema.types.SafeText(), nullable=True),
        sa.Column("last_chat_ts", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", etl.schema.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("raw", etl.schema.types.RawJSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_livechat_visitors")),
    )
    with op.batch_alter_table("livechat_visitors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_livechat_visitors_change_seq"), ["change_seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("livechat_visitors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_visitors_change_seq"))

    op.drop_table("livechat_visitors")
    with op.batch_alter_table("livechat_visitor_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_visitor_data_change_seq"))

    op.drop_table("livechat_visitor_data")
    with op.batch_alter_table("livechat_triggers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_triggers_change_seq"))

    op.drop_table("livechat_triggers")
    with op.batch_alter_table("livechat_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_transfers_room_id"))
        batch_op.drop_index(batch_op.f("ix_livechat_transfers_change_seq"))

    op.drop_table("livechat_transfers")
    with op.batch_alter_table("livechat_rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_rooms_visitor_id"))
        batch_op.drop_index(batch_op.f("ix_livechat_rooms_served_by_id"))
        batch_op.drop_index(batch_op.f("ix_livechat_rooms_department_id"))
        batch_op.drop_index(batch_op.f("ix_livechat_rooms_change_seq"))

    op.drop_table("livechat_rooms")
    with op.batch_alter_table("livechat_room_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_room_tags_tag"))
        batch_op.drop_index(batch_op.f("ix_livechat_room_tags_change_seq"))

    op.drop_table("livechat_room_tags")
    with op.batch_alter_table("livechat_room_data", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_room_data_change_seq"))

    op.drop_table("livechat_room_data")
    with op.batch_alter_table("livechat_office_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_office_hours_change_seq"))

    op.drop_table("livechat_office_hours")
    with op.batch_alter_table("livechat_managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_managers_change_seq"))

    op.drop_table("livechat_managers")
    with op.batch_alter_table("livechat_inquiries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_inquiries_rid"))
        batch_op.drop_index(batch_op.f("ix_livechat_inquiries_change_seq"))

    op.drop_table("livechat_inquiries")
    with op.batch_alter_table("livechat_departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_departments_change_seq"))

    op.drop_table("livechat_departments")
    with op.batch_alter_table("livechat_department_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_department_agents_department_id"))
        batch_op.drop_index(batch_op.f("ix_livechat_department_agents_change_seq"))
        batch_op.drop_index(batch_op.f("ix_livechat_department_agents_agent_id"))

    op.drop_table("livechat_department_agents")
    with op.batch_alter_table("livechat_custom_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_custom_fields_change_seq"))

    op.drop_table("livechat_custom_fields")
    with op.batch_alter_table("livechat_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_livechat_agents_change_seq"))

    op.drop_table("livechat_agents")
