"""Edit and deletion history, and legal holds: the record compliance teams need.

`message_versions` keeps one row per distinct version of a message that the product has seen
(content = text, attachments, file, md); it is a child of `messages` for the feed's replay rule,
but it is never replaced with its parent: versions are only appended, and removed only when a
message is purged without a hold. `legal_holds` exempts rooms and users from redaction and purge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from etl.schema.base import Base, Child, parent_key
from etl.schema.types import RawJSON

# The kinds of version, in the order a message's life can show them.
VERSION_KINDS = ("created", "edited", "deleted", "redacted", "purged")
DELETION_KINDS = frozenset({"deleted", "redacted", "purged"})
# Where a version came from: a document the sync read, or a server history clone (KeepHistory).
ORIGINS = ("sync", "server_history")


class MessageVersion(Child, Base):
    __tablename__ = "message_versions"

    message_id: Mapped[str] = parent_key()
    version: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-99)
    kind: Mapped[str] = mapped_column(String)
    msg: Mapped[str | None]
    attachments: Mapped[Any | None] = mapped_column(RawJSON)
    edited_at: Mapped[datetime | None]
    edited_by_id: Mapped[str | None]
    edited_by_username: Mapped[str | None]
    observed_at: Mapped[datetime]
    origin: Mapped[str] = mapped_column(String)
    # Digest of the content (msg, attachments, file, files, md): equal content, no new version.
    content_hash: Mapped[str | None]
    raw: Mapped[Any | None] = mapped_column(RawJSON)


class PendingVersions(Base):
    """The tool's own bookkeeping, not exported: while a first load defers its first versions,
    each write transaction that stored messages, with the server's time it saw them. A message
    without versions whose `change_seq` is listed here still needs its version 1."""

    __tablename__ = "message_versions_pending"

    change_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    observed_at: Mapped[datetime]


class LegalHold(Base):
    """A room or a user exempt from redaction and purge while the hold is active."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String)  # "room" | "user"
    target_id: Mapped[str] = mapped_column(String, index=True)
    target_name: Mapped[str | None]
    reason: Mapped[str | None]
    until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str]
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None]
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)
