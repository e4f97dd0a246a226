"""Messages, per room: chat.syncMessages in cursor mode from the room's watermark.

Thread replies, system messages, edits, reactions and pins all arrive as updates. What is not a
message: `_hidden` records and edit-history clones (`parent`). What is a deletion: `t:'rm'` updates
(ShowDeletedStatus on) and the trash (`type=DELETED`). A `_hidden`-only deletion (KeepHistory on,
ShowDeletedStatus off) reaches no delta at all: only reconciliation (a full walk whose ids are
compared with the stored ones) finds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from etl.errors import BadRequestError, NotFoundError, PermissionDeniedError
from etl.fulltext.bulk import deferred_index
from etl.load.history_pending import deferred_versions
from etl.load.indexes import NOT_VERSIONS, VERSIONS, deferred_indexes
from etl.message_walkers import fetch_deleted_message_ids, fetch_message_cursor
from etl.state import Checkpoint, Cursor
from etl.sync.context import SyncContext, log
from etl.sync.fallback import MessageMode, walk_room_fallback
from etl.sync.page_writer import PageWrite
from etl.sync.pending_policy import apply_pending_policy
from etl.sync.pool import run_walks
from etl.sync.room_tasks import (
    RoomTask,
    deleters,
    history_clones,
    rooms_to_walk,
    split_messages,
    stored_ids,
    unreadable_reason,
)
from etl.timestamps import deletion_time
from etl.walkers import (
    Doc,
    Rejected,
    rejected_ids,
)


def sync_messages(ctx: SyncContext, mode: MessageMode | None = None) -> None:
    tasks = rooms_to_walk(ctx)
    mode = mode or MessageMode()
    ctx.progress.resource_started("messages", total=len(tasks))
    rechecks = sum(task.recheck for task in tasks)
    log.info("messages: %d room(s) to walk, %d of them rechecks", len(tasks), rechecks)
    history = ctx.settings.sync.track_history
    # A first load builds the full-text index and the secondary indexes in bulk at its end, and
    # writes versions 1 in one pass. Exits run innermost first: the indexes of messages and its
    # children, the full-text index (on PostgreSQL both in the background, ctx.builds), the
    # versions pass (meanwhile), then the indexes of the versions it filled.
    with (
        deferred_indexes(ctx.engine, ctx.builds, VERSIONS),
        deferred_versions(ctx.engine, history) as deferred,
        deferred_index(ctx.engine, ctx.builds),
        deferred_indexes(ctx.engine, ctx.builds, NOT_VERSIONS) as first_load,
    ):
        ctx.defer_versions = deferred
        try:
            run_walks(
                ctx,
                tasks,
                lambda task: walk_room(ctx, task, mode, first_load),
                lambda t: f"room {t.room_id}",
                "messages",
            )
        finally:
            ctx.defer_versions = None
    if "messages" in ctx.reconcile and not ctx.stopped:
        apply_pending_policy(ctx, "messages")


def walk_room(
    ctx: SyncContext, task: RoomTask, mode: MessageMode, first_load: bool = False
) -> Iterator[PageWrite]:
    """`first_load`: the step started on an empty messages table (a room holds only what its
    own walk writes, so its stored ids need no lookup)."""
    try:
        if mode.kind == "cursor":
            try:
                yield from _walk_cursor(ctx, task, first_load)
                return
            except (BadRequestError, NotFoundError) as exc:
                if unreadable_reason(exc) or not mode.downgrade(exc, "cursor"):
                    raise
        yield from walk_room_fallback(ctx, task, mode)
    except (PermissionDeniedError, BadRequestError) as exc:
        reason = unreadable_reason(exc)
        if reason is None:
            raise
        yield _unreadable(task, reason)


def _unreadable(task: RoomTask, reason: str) -> PageWrite:
    cursor = Cursor(room_updated_ms=task.room_updated_ms)
    cp = Checkpoint("messages", task.room_id, cursor=cursor, status="unreadable", error=reason)
    return PageWrite(
        "messages", "messages", checkpoints=[cp], room_access={task.room_id: reason}, rooms_done=1
    )


def _walk_cursor(ctx: SyncContext, task: RoomTask, first_load: bool) -> Iterator[PageWrite]:
    cp = task.checkpoint
    fresh = cp is None or cp.watermark_ms is None or task.reconcile
    since = 0 if cp is None or task.reconcile else cp.watermark_ms or 0
    cursor = replace(cp.cursor) if cp and not task.reconcile else Cursor()
    deleted_ms = cursor.deleted_ms
    seen: set[str] = set()  # ids of this walk (ids only: a few MB for the largest rooms)
    watermark = since
    pages = fetch_message_cursor(
        ctx.client,
        task.room_id,
        since,
        count=ctx.settings.sync.message_page_size,
        edge_ids=None if fresh else cursor.edge_ids,
    )
    for page in pages:
        upserts, deletions = split_messages(page.items)
        seen.update(doc["_id"] for doc in upserts)
        seen.update(doc_id for doc_id, _ in deletions)
        seen.update(rejected_ids(page.rejected))  # still on the server: not a deletion
        watermark = page.watermark_ms
        cursor.edge_ids, cursor.deleted_ms = page.edge_ids, deleted_ms
        checkpoint = Checkpoint(
            "messages", task.room_id, watermark, cursor=replace(cursor), status="walking"
        )
        write = PageWrite("messages", "messages", upserts, deletions, [checkpoint])
        write.rejected, write.future = page.rejected, page.future
        write.clones = history_clones(page.items)
        write.deleted_by = deleters(page.items)
        yield write
        if ctx.stopped:
            return
    yield _finish_walk(ctx, task, cursor, watermark, seen, first_load)


def _finish_walk(
    ctx: SyncContext,
    task: RoomTask,
    cursor: Cursor,
    watermark: int,
    seen: set[str],
    first_load: bool,
) -> PageWrite:
    """The room's deletions since its deletion watermark, and the checkpoint that marks the walk
    complete. Without a deletion watermark yet (first walk, even a resumed one) the whole 30-day
    trash comes back: only ids we hold matter. A reconciling walk also deletes the stored ids the
    full walk did not see."""
    deleted_ms = cursor.deleted_ms
    first = deleted_ms == 0
    # On a first load, stored ids are a subset of `seen` (the secondary indexes are gone, too).
    looked_up = not first_load and (first or task.reconcile)
    stored = stored_ids(ctx, task.room_id) if looked_up else set()
    if _trash_not_needed(task, first, stored, seen):
        # A first walk of a room we held nothing of: nothing we hold can be in the trash. A
        # message deleted while the walk ran moved the room's `_updatedAt` past the value this
        # walk started from, so the next sync walks the room and asks for deletions from there.
        trash: list[Doc] = []
        bad: list[Rejected] = []
        trash_ms = 0
        cursor.deleted_ms = max((task.room_updated_ms or 0) - 1, 1)
    else:
        trash, trash_ms, bad = fetch_deleted_message_ids(ctx.client, task.room_id, deleted_ms)
        cursor.deleted_ms = max(deleted_ms, trash_ms, watermark)
    if first:
        trash = [doc for doc in trash if doc["_id"] in seen or doc["_id"] in stored]
    removed = {doc["_id"]: deletion_time(doc) for doc in trash}
    if task.reconcile:
        for doc_id in stored - seen:
            removed.setdefault(doc_id, None)
    cursor.room_updated_ms = task.room_updated_ms
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


def _trash_not_needed(task: RoomTask, first: bool, stored: set[str], seen: set[str]) -> bool:
    """The deletions request of a room's very first walk only matters for ids we held before it
    (a resumed walk, messages a threads-only run wrote): without any, it is skipped."""
    fresh = task.checkpoint is None and not task.reconcile
    return first and fresh and task.room_updated_ms is not None and stored <= seen
