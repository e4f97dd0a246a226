"""The relational schema: SQLAlchemy models mirroring Rocket.Chat's collections.

`metadata` holds every table; `SYNCED_TABLES` the tables fed by the sync (with `raw`, `deleted_at`,
`change_seq`); `CHILD_TABLES` maps each child table to its parent table and parent-id column.
"""

from __future__ import annotations

from etl.schema import bookkeeping, children, history, omnichannel, synced
from etl.schema.base import Base, Synced

metadata = Base.metadata

# Every model of `etl.schema.synced` (then `omnichannel`), in the order they are defined there:
# the schema itself is the list (the catalogue names each resource's table; a test checks they are
# all here).
SYNCED_TABLES: tuple[str, ...] = tuple(
    model.__tablename__
    for module in (synced, omnichannel)
    for model in vars(module).values()
    if isinstance(model, type)
    and issubclass(model, Base)
    and model.__module__ == module.__name__
    and issubclass(model, Synced)
)

# child table -> (parent table, column holding the parent's id)
CHILD_TABLES: dict[str, tuple[str, str]] = {
    "message_reactions": ("messages", "message_id"),
    "message_mentions": ("messages", "message_id"),
    "message_attachments": ("messages", "message_id"),
    "message_files": ("messages", "message_id"),
    "message_urls": ("messages", "message_id"),
    "thread_followers": ("messages", "message_id"),
    "room_members": ("rooms", "room_id"),
    "user_roles": ("users", "user_id"),
    "user_emails": ("users", "user_id"),
    "permission_roles": ("permissions", "permission_id"),
    "emoji_aliases": ("custom_emoji", "emoji_id"),
    "livechat_room_tags": ("livechat_rooms", "room_id"),
    "livechat_room_data": ("livechat_rooms", "room_id"),
    "livechat_visitor_data": ("livechat_visitors", "visitor_id"),
    "livechat_transfers": ("messages", "message_id"),
    # Appended by the writer, never replaced with the parent (etl.load.history).
    "message_versions": ("messages", "message_id"),
}

# The tool's own records that exports carry beside the synced data (upserted by primary key).
AUDIT_TABLES: tuple[str, ...] = ("legal_holds",)

# Views are created by migrations, not by the models. PostgreSQL fixes a view's column list when
# the view is created, so a migration that adds columns to `messages` must recreate `threads`.
VIEWS: dict[str, str] = {
    # Thread parents: messages that have a reply count.
    "threads": "SELECT * FROM messages WHERE tcount IS NOT NULL",
}

__all__ = [
    "AUDIT_TABLES",
    "CHILD_TABLES",
    "SYNCED_TABLES",
    "VIEWS",
    "Base",
    "bookkeeping",
    "children",
    "history",
    "metadata",
    "omnichannel",
    "synced",
]
