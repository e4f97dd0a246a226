"""Child tables: the lists inside a document that users join on.

Each row carries its parent's `change_seq` at write time, so a feed can export the children of
changed parents. Children are replaced as a whole whenever their parent is written. No foreign
keys: members and children of rooms the token cannot read must still load.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from etl.schema.base import Base, Child, parent_key
from etl.schema.types import RawJSON


def position() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True, sort_order=-99)


class MessageReaction(Child, Base):
    __tablename__ = "message_reactions"
    __table_args__ = (Index("ix_message_reactions_emoji", "emoji"),)

    message_id: Mapped[str] = parent_key()
    emoji: Mapped[str] = mapped_column(String, primary_key=True)
    username: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str | None]


class MessageMention(Child, Base):
    """`mentions` (kind `user`, including `all`/`here`) and `channels` (kind `channel`)."""

    __tablename__ = "message_mentions"

    message_id: Mapped[str] = parent_key()
    kind: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = position()
    mention_id: Mapped[str | None] = mapped_column(String, index=True)
    username: Mapped[str | None]
    name: Mapped[str | None]
    type: Mapped[str | None]


class MessageAttachment(Child, Base):
    __tablename__ = "message_attachments"

    message_id: Mapped[str] = parent_key()
    position: Mapped[int] = position()
    title: Mapped[str | None]
    type: Mapped[str | None]
    text: Mapped[str | None]
    image_url: Mapped[str | None]
    title_link: Mapped[str | None]
    raw: Mapped[dict[str, Any]] = mapped_column(RawJSON)


class MessageFile(Child, Base):
    __tablename__ = "message_files"

    message_id: Mapped[str] = parent_key()
    position: Mapped[int] = position()
    file_id: Mapped[str | None] = mapped_column(String, index=True)
    name: Mapped[str | None]
    type: Mapped[str | None]
    size: Mapped[int | None]


class MessageUrl(Child, Base):
    __tablename__ = "message_urls"

    message_id: Mapped[str] = parent_key()
    position: Mapped[int] = position()
    url: Mapped[str | None]
    title: Mapped[str | None]
    description: Mapped[str | None]


class ThreadFollower(Child, Base):
    """A thread parent's `replies`: ids of the users who replied or follow."""

    __tablename__ = "thread_followers"

    message_id: Mapped[str] = parent_key()
    user_id: Mapped[str] = mapped_column(String, primary_key=True)


class RoomMember(Child, Base):
    __tablename__ = "room_members"

    room_id: Mapped[str] = parent_key()
    user_id: Mapped[str] = mapped_column(String, primary_key=True, index=True)
    username: Mapped[str | None]
    name: Mapped[str | None]
    status: Mapped[str | None]


class UserRole(Child, Base):
    __tablename__ = "user_roles"

    user_id: Mapped[str] = parent_key()
    role: Mapped[str] = mapped_column(String, primary_key=True, index=True)


class UserEmail(Child, Base):
    __tablename__ = "user_emails"

    user_id: Mapped[str] = parent_key()
    address: Mapped[str] = mapped_column(String, primary_key=True)
    verified: Mapped[bool | None] = mapped_column(Boolean)


class PermissionRole(Child, Base):
    __tablename__ = "permission_roles"

    permission_id: Mapped[str] = parent_key()
    role: Mapped[str] = mapped_column(String, primary_key=True, index=True)


class EmojiAlias(Child, Base):
    __tablename__ = "emoji_aliases"

    emoji_id: Mapped[str] = parent_key()
    alias: Mapped[str] = mapped_column(String, primary_key=True)
