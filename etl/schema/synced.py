"""Synced tables: one per Rocket.Chat collection, `id` = the server's `_id`.

Column names are the documented field names in snake_case (`u._id` -> `u_id`, `_updatedAt` ->
`updated_at`); everything else the server sent stays in `raw`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, Index, String, true
from sqlalchemy.orm import Mapped, mapped_column

from etl.schema.base import Base, Synced
from etl.schema.types import RawJSON


class Room(Synced, Base):
    __tablename__ = "rooms"

    t: Mapped[str | None]
    name: Mapped[str | None]
    fname: Mapped[str | None]
    u_id: Mapped[str | None]
    u_username: Mapped[str | None]
    topic: Mapped[str | None]
    description: Mapped[str | None]
    announcement: Mapped[str | None]
    ts: Mapped[datetime | None]
    lm: Mapped[datetime | None]
    msgs: Mapped[int | None]
    users_count: Mapped[int | None]
    prid: Mapped[str | None] = mapped_column(index=True)
    team_id: Mapped[str | None] = mapped_column(index=True)
    team_main: Mapped[bool | None]
    archived: Mapped[bool | None]
    ro: Mapped[bool | None]
    default: Mapped[bool | None]
    broadcast: Mapped[bool | None]
    encrypted: Mapped[bool | None]
    last_message_id: Mapped[str | None]
    # Bookkeeping, written by the sync engine, never by an upsert of the room document.
    readable: Mapped[bool] = mapped_column(Boolean, server_default=true())
    unreadable_reason: Mapped[str | None]


class Message(Synced, Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_rid_ts", "rid", "ts"),
        Index("ix_messages_rid_updated_at", "rid", "updated_at"),
    )

    rid: Mapped[str] = mapped_column(String)
    msg: Mapped[str | None]
    ts: Mapped[datetime | None]
    t: Mapped[str | None]
    u_id: Mapped[str | None] = mapped_column(index=True)
    u_username: Mapped[str | None]
    u_name: Mapped[str | None]
    alias: Mapped[str | None]
    tmid: Mapped[str | None] = mapped_column(String, index=True)
    tshow: Mapped[bool | None]
    tcount: Mapped[int | None]
    tlm: Mapped[datetime | None]
    drid: Mapped[str | None]
    dcount: Mapped[int | None]
    dlm: Mapped[datetime | None]
    edited_at: Mapped[datetime | None]
    edited_by_id: Mapped[str | None]
    edited_by_username: Mapped[str | None]
    pinned: Mapped[bool | None]
    pinned_at: Mapped[datetime | None]
    pinned_by_id: Mapped[str | None]
    pinned_by_username: Mapped[str | None]
    groupable: Mapped[bool | None]
    emoji: Mapped[str | None]
    avatar: Mapped[str | None]
    # Digest of the content a version keeps (etl.load.history.content_hash), written with the row
    # when history is tracked: an edit is found by comparing it, and a first load's versions are
    # made from the rows in one statement (etl.load.history_pending).
    content_digest: Mapped[str | None]


class User(Synced, Base):
    __tablename__ = "users"

    username: Mapped[str | None] = mapped_column(index=True)
    name: Mapped[str | None]
    nickname: Mapped[str | None]
    type: Mapped[str | None]
    active: Mapped[bool | None]
    status: Mapped[str | None]
    status_connection: Mapped[str | None]
    status_text: Mapped[str | None]
    created_at: Mapped[datetime | None]
    last_login: Mapped[datetime | None]
    utc_offset: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None]
    bio: Mapped[str | None]


class Role(Synced, Base):
    __tablename__ = "roles"

    name: Mapped[str | None]
    description: Mapped[str | None]
    protected: Mapped[bool | None]
    scope: Mapped[str | None]
    mandatory2fa: Mapped[bool | None]


class Permission(Synced, Base):
    __tablename__ = "permissions"

    group: Mapped[str | None]
    section: Mapped[str | None]
    level: Mapped[str | None]
    setting_id: Mapped[str | None]
    group_permission_id: Mapped[str | None]
    section_permission_id: Mapped[str | None]
    sorter: Mapped[int | None]


class Subscription(Synced, Base):
    __tablename__ = "subscriptions"

    rid: Mapped[str | None] = mapped_column(index=True)
    t: Mapped[str | None]
    name: Mapped[str | None]
    fname: Mapped[str | None]
    u_id: Mapped[str | None] = mapped_column(index=True)
    u_username: Mapped[str | None]
    ts: Mapped[datetime | None]
    ls: Mapped[datetime | None]
    lr: Mapped[datetime | None]
    open: Mapped[bool | None]
    alert: Mapped[bool | None]
    unread: Mapped[int | None]
    user_mentions: Mapped[int | None]
    group_mentions: Mapped[int | None]
    f: Mapped[bool | None]
    archived: Mapped[bool | None]
    prid: Mapped[str | None]
    team_id: Mapped[str | None]
    team_main: Mapped[bool | None]


class CustomEmoji(Synced, Base):
    __tablename__ = "custom_emoji"

    name: Mapped[str | None]
    extension: Mapped[str | None]
    etag: Mapped[str | None]


class CustomSound(Synced, Base):
    __tablename__ = "custom_sounds"

    name: Mapped[str | None]
    extension: Mapped[str | None]
    random: Mapped[bool | None]


class Team(Synced, Base):
    __tablename__ = "teams"

    name: Mapped[str | None]
    type: Mapped[int | None]
    room_id: Mapped[str | None] = mapped_column(index=True)
    created_by_id: Mapped[str | None]
    created_by_username: Mapped[str | None]
    created_at: Mapped[datetime | None]


class Setting(Synced, Base):
    """Public settings (`settings.public`): `value` keeps its JSON type (bool, number, text)."""

    __tablename__ = "settings"

    value: Mapped[Any | None] = mapped_column(RawJSON)
    type: Mapped[str | None]
    group: Mapped[str | None]
    section: Mapped[str | None]
    public: Mapped[bool | None]
    package_value: Mapped[Any | None] = mapped_column(RawJSON)


class CustomUserStatus(Synced, Base):
    __tablename__ = "custom_user_statuses"

    name: Mapped[str | None]
    status_type: Mapped[str | None]


class Integration(Synced, Base):
    """Webhook integrations. The `token` and, unless configured, the scripts never reach this
    table (nor `raw`): `has_token` / `has_script` record only their presence (etl.scrub)."""

    __tablename__ = "integrations"

    type: Mapped[str | None]
    name: Mapped[str | None]
    enabled: Mapped[bool | None]
    event: Mapped[str | None]
    username: Mapped[str | None]
    alias: Mapped[str | None]
    avatar: Mapped[str | None]
    emoji: Mapped[str | None]
    user_id: Mapped[str | None]
    impersonate_user: Mapped[bool | None]
    script_enabled: Mapped[bool | None]
    has_script: Mapped[bool | None]
    has_token: Mapped[bool | None]
    created_at: Mapped[datetime | None]
    created_by_id: Mapped[str | None]
    created_by_username: Mapped[str | None]


class IntegrationHistory(Synced, Base):
    """What outgoing integrations did (`integrations.history`); the sent `data` is scrubbed."""

    __tablename__ = "integration_history"

    integration_id: Mapped[str | None] = mapped_column(index=True)
    type: Mapped[str | None]
    step: Mapped[str | None]
    event: Mapped[str | None]
    trigger_word: Mapped[str | None]
    ran_script: Mapped[bool | None]
    finished: Mapped[bool | None]
    error: Mapped[bool | None]
    created_at: Mapped[datetime | None]


class ServerStatistics(Synced, Base):
    """One `statistics` snapshot per sync run: `id` is `run-<run_id>`, `snapshot_id` the server's
    own id (the server computes a new snapshot daily, or when asked with `refresh=true`)."""

    __tablename__ = "server_statistics"

    run_id: Mapped[int | None] = mapped_column(index=True)
    snapshot_id: Mapped[str | None]
    unique_id: Mapped[str | None]
    version: Mapped[str | None]
    installed_at: Mapped[datetime | None]
    created_at: Mapped[datetime | None]
    total_users: Mapped[int | None]
    active_users: Mapped[int | None]
    non_active_users: Mapped[int | None]
    online_users: Mapped[int | None]
    away_users: Mapped[int | None]
    offline_users: Mapped[int | None]
    total_rooms: Mapped[int | None]
    total_channels: Mapped[int | None]
    total_private_groups: Mapped[int | None]
    total_direct: Mapped[int | None]
    total_livechat: Mapped[int | None]
    total_messages: Mapped[int | None] = mapped_column(BigInteger)
    total_channel_messages: Mapped[int | None] = mapped_column(BigInteger)
    total_private_group_messages: Mapped[int | None] = mapped_column(BigInteger)
    total_direct_messages: Mapped[int | None] = mapped_column(BigInteger)
    total_livechat_messages: Mapped[int | None] = mapped_column(BigInteger)
    instance_count: Mapped[int | None]
    last_login: Mapped[datetime | None]
    last_message_sent_at: Mapped[datetime | None]


class Upload(Synced, Base):
    """`channels|groups|im.files`. The upload's `token` (an access token for the file) is never
    stored, not even in `raw`. The `file_*` columns are the download's bookkeeping (etl.files),
    written by the download step, never by an upsert of the upload document."""

    __tablename__ = "uploads"

    name: Mapped[str | None]
    size: Mapped[int | None] = mapped_column(BigInteger)
    type: Mapped[str | None]
    extension: Mapped[str | None]
    rid: Mapped[str | None] = mapped_column(index=True)
    user_id: Mapped[str | None] = mapped_column(index=True)
    user_username: Mapped[str | None]
    uploaded_at: Mapped[datetime | None]
    store: Mapped[str | None]
    path: Mapped[str | None]
    url: Mapped[str | None]
    complete: Mapped[bool | None]
    description: Mapped[str | None]
    etag: Mapped[str | None]
    # stored | forbidden | missing | skipped | refused | failed; NULL: not tried (yet)
    file_status: Mapped[str | None]
    file_reason: Mapped[str | None]
    file_checked_at: Mapped[datetime | None]
    file_sha256: Mapped[str | None] = mapped_column(index=True)
    file_stored_path: Mapped[str | None]
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_version: Mapped[str | None]  # etag|size|_updatedAt of the fetched bytes
