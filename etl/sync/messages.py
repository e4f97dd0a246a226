"""Messages, per room: chat.syncMessages in cursor mode from the room's watermark.

Thread replies, system messages, edits, reactions and pins all arrive as updates. What is not a
message: `_hidden` records and edit-history clones (`parent`). What is a deletion: `t:'rm'` updates
(ShowDeletedStatus on) and the trash (`type=DELETED`). A `_hidden`-only deletion (KeepHistory on,
ShowDeletedStatus off) reaches no delta at all: only reconciliation (a full walk whose ids are
compared with the stored ones) finds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from etl.config import SyncSettings
from etl.errors import BadRequestError, NotFoundError, PermissionDeniedError
from etl.load import next_change_seq
from etl.load.history import apply_deletions, pending_deletions
from etl.load.holds import active_holds
from etl.schema.synced import Message, Room
from etl.state import Checkpoint, load_checkpoints
from etl.sync.context import SyncContext, log
from etl.sync.fallback import MessageMode, walk_room_fallback
from etl.sync.page_writer import PageWrite
from etl.sync.pool import run_walks
from etl.timestamps import deletion_time, dt_to_ms
from etl.walkers import Doc, fetch_deleted_message_ids, fetch_message_cursor, rejected_ids

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


# Streams whose quiet rooms are rechecked: a cursor walk from the watermark costs two requests.
RECHECKED = ("messages", "threads")


def rooms_to_walk(ctx: SyncContext, resource: str = "messages") -> list[RoomTask]:
    """Rooms whose `_updatedAt` moved since their last complete walk (all rooms when reconciling),
    plus quiet rooms due for a recheck. A walk cut short (crash, stop, error) is resumed from its
    checkpoint."""
    reconcile = ctx.full or resource in ctx.reconcile
    # `t` is labelled: Row.t is SQLAlchemy's "row as a tuple".
    columns = (ROOMS.c.id, ROOMS.c.t.label("room_type"), ROOMS.c.updated_at, ROOMS.c.prid)
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
            and (updated is None or cp.cursor.get("room_updated_at") == updated)
        )
        task = RoomTask(room.id, room.room_type, updated, cp, reconcile)
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


def sync_messages(ctx: SyncContext, mode: MessageMode | None = None) -> None:
    tasks = rooms_to_walk(ctx)
    mode = mode or MessageMode()
    ctx.progress.resource_started("messages", total=len(tasks))
    rechecks = sum(task.recheck for task in tasks)
    log.info("messages: %d room(s) to walk, %d of them rechecks", len(tasks), rechecks)
    run_walks(
        ctx,
        tasks,
        lambda task: walk_room(ctx, task, mode),
        lambda t: f"room {t.room_id}",
        "messages",
    )
    if "messages" in ctx.reconcile and not ctx.stopped:
        apply_pending_policy(ctx)


def apply_pending_policy(ctx: SyncContext) -> int:
    """Reconciliation applies `deletion_policy` to deleted messages a hold kept (a hold removed
    or expired since), or that an earlier, milder policy left: one transaction."""
    with ctx.engine.begin() as conn:
        observed = ctx.server_now()
        holds = active_holds(conn, observed)
        history = ctx.settings.sync.track_history
        items = pending_deletions(conn, ctx.policy, holds, history)  # type: ignore[arg-type]
        if items:
            seq = next_change_seq(conn)
            apply_deletions(conn, "messages", items, ctx.policy, seq, holds, observed, history)  # type: ignore[arg-type]
    if items:
        log.info(
            "messages: %s applied to %d deleted message(s) no longer held", ctx.policy, len(items)
        )
        ctx.summary.add("messages", deleted=len(items))
    return len(items)


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


def walk_room(ctx: SyncContext, task: RoomTask, mode: MessageMode) -> Iterator[PageWrite]:
    try:
        if mode.kind == "cursor":
            try:
                yield from _walk_cursor(ctx, task)
                return
            except (BadRequestError, NotFoundError) as exc:
                if unreadable_reason(exc) or not mode.downgrade(exc, "cursor"):
                    raise
        yield from walk_room_fallback(ctx, task, mode, stored_ids)
    except (PermissionDeniedError, BadRequestError) as exc:
        reason = unreadable_reason(exc)
        if reason is None:
            raise
        yield _unreadable(task, reason)


def _unreadable(task: RoomTask, reason: str) -> PageWrite:
    cursor = {"room_updated_at": task.room_updated_ms}
    cp = Checkpoint("messages", task.room_id, cursor=cursor, status="unreadable", error=reason)
    return PageWrite(
        "messages", "messages", checkpoints=[cp], room_access={task.room_id: reason}, rooms_done=1
    )


def _walk_cursor(ctx: SyncContext, task: RoomTask) -> Iterator[PageWrite]:
    cp = task.checkpoint
    fresh = cp is None or cp.watermark_ms is None or task.reconcile
    since = 0 if fresh else cp.watermark_ms or 0
    cursor = dict(cp.cursor) if cp and not task.reconcile else {}
    deleted_ms = int(cursor.get("deleted_ms") or 0)
    seen: set[str] = set()  # ids of this walk (ids only: a few MB for the largest rooms)
    watermark = since
    pages = fetch_message_cursor(
        ctx.client,
        task.room_id,
        since,
        count=ctx.settings.sync.message_page_size,
        edge_ids=None if fresh else cursor.get("edge"),
    )
    for page in pages:
        upserts, deletions = split_messages(page.items)
        seen.update(doc["_id"] for doc in upserts)
        seen.update(doc_id for doc_id, _ in deletions)
        seen.update(rejected_ids(page.rejected))  # still on the server: not a deletion
        watermark = page.watermark_ms
        cursor.update(edge=page.edge_ids, deleted_ms=deleted_ms)
        checkpoint = Checkpoint(
            "messages", task.room_id, watermark, cursor=dict(cursor), status="walking"
        )
        write = PageWrite("messages", "messages", upserts, deletions, [checkpoint])
        write.rejected, write.future = page.rejected, page.future
        write.clones = history_clones(page.items)
        yield write
        if ctx.stopped:
            return
    yield _finish_walk(ctx, task, cursor, watermark, seen)


def _finish_walk(
    ctx: SyncContext, task: RoomTask, cursor: dict, watermark: int, seen: set[str]
) -> PageWrite:
    """The room's deletions since its deletion watermark, and the checkpoint that marks the walk
    complete. Without a deletion watermark yet (first walk, even a resumed one) the whole 30-day
    trash comes back: only ids we hold matter. A reconciling walk also deletes the stored ids the
    full walk did not see."""
    deleted_ms = int(cursor.get("deleted_ms") or 0)
    trash, trash_ms, bad = fetch_deleted_message_ids(ctx.client, task.room_id, deleted_ms)
    first = deleted_ms == 0
    stored = stored_ids(ctx, task.room_id) if first or task.reconcile else set()
    if first:
        trash = [doc for doc in trash if doc["_id"] in seen or doc["_id"] in stored]
    removed = {doc["_id"]: deletion_time(doc) for doc in trash}
    if task.reconcile:
        for doc_id in stored - seen:
            removed.setdefault(doc_id, None)
    cursor.update(
        deleted_ms=max(deleted_ms, trash_ms, watermark), room_updated_at=task.room_updated_ms
    )
    done = Checkpoint("messages", task.room_id, watermark or None, cursor=cursor, status="complete")
    return PageWrite(
        "messages",
        "messages",
        deletions=list(removed.items()),
        checkpoints=[done],
        room_access={task.room_id: None},
        rooms_done=1,
        rejected=bad,
    )


def stored_ids(ctx: SyncContext, room_id: str) -> set[str]:
    """Ids of the room's live messages in the database (read from a fetch thread: a plain read)."""
    query = select(MESSAGES.c.id).where(MESSAGES.c.rid == room_id, MESSAGES.c.deleted_at.is_(None))
    with ctx.engine.connect() as conn:
        return {row.id for row in conn.execute(query)}
