"""Which rooms a per-room stream (messages, threads, members) walks this run, and the message
sorting all of its walks share.

A room is walked when its `_updatedAt` moved since its last complete walk, when that walk was cut
short, when reconciling, or when a quiet room is due for a recheck. What a message page holds is
sorted the same way by every walk: messages, `t:'rm'` deletions and edit-history clones.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from etl.config import SyncSettings
from etl.errors import BadRequestError, PermissionDeniedError
from etl.schema.synced import Message, Room
from etl.state import Checkpoint, load_checkpoints
from etl.sync.context import SyncContext
from etl.timestamps import deletion_time, dt_to_ms
from etl.walkers import Doc

ROOMS = Room.__table__
MESSAGES = Message.__table__


@dataclass
class RoomTask:
    room_id: str
    room_type: str | None
    room_updated_ms: int | None
    checkpoint: Checkpoint | None
    reconcile: bool
    recheck: bool = False  # walked only because its last complete walk is old (bounded staleness)
    users_count: int | None = None  # the room's `usersCount`: how long its member list is


# Streams whose quiet rooms are rechecked: a cursor walk from the watermark costs two requests.
RECHECKED = ("messages", "threads")


def rooms_to_walk(ctx: SyncContext, resource: str = "messages") -> list[RoomTask]:
    """Rooms whose `_updatedAt` moved since their last complete walk (all rooms when reconciling),
    plus quiet rooms due for a recheck. A walk cut short (crash, stop, error) is resumed from its
    checkpoint."""
    reconcile = ctx.full or resource in ctx.reconcile
    # `t` is labelled: Row.t is SQLAlchemy's "row as a tuple".
    columns = (
        ROOMS.c.id,
        ROOMS.c.t.label("room_type"),
        ROOMS.c.updated_at,
        ROOMS.c.prid,
        ROOMS.c.users_count,
    )
    query = select(*columns).where(ROOMS.c.deleted_at.is_(None))
    with ctx.engine.connect() as conn:
        rooms = conn.execute(query.order_by(ROOMS.c.id)).all()
        checkpoints = load_checkpoints(conn, resource)
    tasks, quiet, moved_parents = [], [], set()
    for room in rooms:
        cp = checkpoints.get(room.id)
        updated = dt_to_ms(room.updated_at)
        settled = (
            cp is not None
            and cp.status in ("complete", "unreadable")
            and (updated is None or cp.cursor.room_updated_ms == updated)
        )
        task = RoomTask(room.id, room.room_type, updated, cp, reconcile)
        task.users_count = room.users_count
        if reconcile or not settled:
            tasks.append(task)
            if room.prid and updated is not None:
                moved_parents.add(room.prid)
        elif cp is not None and cp.status == "complete":
            quiet.append(task)
    # A new message in a discussion rewrites the parent room's `discussion-created` message
    # (`dcount`, `dlm`) without moving the parent room's `_updatedAt`.
    walk_parents = [t for t in quiet if t.room_id in moved_parents]
    quiet = [t for t in quiet if t.room_id not in moved_parents]
    if resource in RECHECKED:
        tasks += walk_parents + due_rechecks(ctx.settings.sync, quiet)
    return tasks


def readable_rooms_to_walk(
    ctx: SyncContext, resource: str, room_types: Collection[str | None]
) -> list[RoomTask]:
    """`rooms_to_walk` of the given room types, less the rooms the message walk found
    unreadable (their member and file lists refuse the token too)."""
    query = select(ROOMS.c.id).where(ROOMS.c.readable.is_(False))
    with ctx.engine.connect() as conn:
        unreadable = set(conn.execute(query).scalars())
    return [
        task
        for task in rooms_to_walk(ctx, resource)
        if task.room_type in room_types and task.room_id not in unreadable
    ]


def due_rechecks(
    settings: SyncSettings, quiet: list[RoomTask], now: datetime | None = None
) -> list[RoomTask]:
    """Quiet rooms whose last complete walk is older than `room_recheck_after`, oldest first, at
    most `room_recheck_batch`. A real server moves a room's `_updatedAt` for new messages and
    deletions, but not when a message other than the room's last is edited, reacted to, pinned or
    starred: only a walk from the watermark sees those. This bounds how late they arrive."""
    after = settings.room_recheck_after
    if not after:
        return []
    limit = (now or datetime.now(UTC)) - timedelta(seconds=after)
    due = sorted(
        (t for t in quiet if _checked_at(t) <= limit), key=lambda t: (_checked_at(t), t.room_id)
    )
    chosen = due[: settings.room_recheck_batch] if settings.room_recheck_batch else due
    for task in chosen:
        task.recheck = True
    return chosen


def _checked_at(task: RoomTask) -> datetime:
    """When the room's last complete walk was written (local time: scheduling only, never a
    cursor)."""
    when = task.checkpoint.updated_at if task.checkpoint else None
    return datetime.min.replace(tzinfo=UTC) if when is None else when


def split_messages(docs: list[Doc]) -> tuple[list[Doc], list[tuple[str, datetime | None]]]:
    """Messages to upsert, and `t:'rm'` soft deletions (their last content is kept under `keep`)."""
    upserts, deletions = [], []
    for doc in docs:
        if doc.get("_hidden") or doc.get("parent"):
            continue
        if doc.get("t") == "rm":
            deletions.append((doc["_id"], deletion_time(doc, "_updatedAt")))
        else:
            upserts.append(doc)
    return upserts, deletions


def deleters(docs: list[Doc]) -> dict[str, Doc]:
    """Who deleted each `t:'rm'` message (ShowDeletedStatus on): Rocket.Chat's
    `setAsDeletedByIdAndUser` stamps the deletion like an edit, `editedBy` = the deleting user.
    A trashed or `_hidden` deletion names nobody (the trash entry is `{_id, _deletedAt}`)."""
    return {
        doc["_id"]: doc["editedBy"]
        for doc in docs
        if doc.get("t") == "rm"
        and not doc.get("_hidden")
        and not doc.get("parent")
        and isinstance(doc.get("editedBy"), dict)
    }


def history_clones(docs: list[Doc]) -> list[Doc]:
    """Edit-history clones (KeepHistory): `_hidden` copies of an older version with `parent`.
    Not messages; they become versions of their parent (etl.load.history)."""
    return [doc for doc in docs if doc.get("parent") and doc.get("_hidden") and doc.get("_id")]


def unreadable_reason(exc: Exception) -> str | None:
    """Why the token cannot read a room, or None if the error is something else."""
    if isinstance(exc, PermissionDeniedError):
        return f"forbidden ({exc.status}): the token's user cannot read this room"
    if isinstance(exc, BadRequestError) and exc.error_type == "error-not-allowed":
        return "not allowed: a private group, DM or private team the token's user is not in"
    if isinstance(exc, BadRequestError) and exc.error_type == "error-room-not-found":
        # groups.* look the room up through the caller's subscription: "not found" = no access.
        return "not found for this user: private group it is not a member of"
    return None


def stored_ids(ctx: SyncContext, room_id: str) -> set[str]:
    """Ids of the room's live messages in the database (read from a fetch thread: a plain read)."""
    query = select(MESSAGES.c.id).where(MESSAGES.c.rid == room_id, MESSAGES.c.deleted_at.is_(None))
    with ctx.engine.connect() as conn:
        return {row.id for row in conn.execute(query)}
