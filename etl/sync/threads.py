"""Threads: the parents' `tcount`, `tlm` and `replies`, per room that has threads.

Replies and parents already arrive through the message cursor (every counter change bumps the
parent's `_updatedAt`); this pass reconciles the parents with the thread endpoints:
chat.getThreadsList for the first load, chat.syncThreadsList?updatedSince= after (unpaginated, no
`_hidden` filter, `remove` = trashed parents).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import func, select

from etl.endpoints import THREADS_LIST, THREADS_SYNC
from etl.errors import BadRequestError, PermissionDeniedError
from etl.intake import Rejected, watermark_bound
from etl.schema.synced import Message, Room
from etl.state import Checkpoint, Cursor, load_checkpoints
from etl.sync.context import SyncContext, log
from etl.sync.page_writer import PageWrite, write_page
from etl.sync.pool import run_walks
from etl.sync.room_tasks import (
    RoomTask,
    deleters,
    history_clones,
    rooms_to_walk,
    split_messages,
    unreadable_reason,
)
from etl.timestamps import deletion_time, doc_ms, dt_to_ms
from etl.walkers import Doc, Future, bounded_watermark, fetch_delta, fetch_offset_pages

MESSAGES = Message.__table__
ROOMS = Room.__table__


def _rooms_with_threads(ctx: SyncContext) -> dict[str, int]:
    """Readable rooms with thread parents -> epoch ms of their parents' latest edit (0: none)."""
    last_edit = func.max(MESSAGES.c.edited_at).label("last_edit")
    query = (
        select(MESSAGES.c.rid, last_edit)
        .join(ROOMS, ROOMS.c.id == MESSAGES.c.rid)
        .where(MESSAGES.c.tcount.is_not(None), ROOMS.c.readable.is_(True))
        .group_by(MESSAGES.c.rid)
    )
    with ctx.engine.connect() as conn:
        return {row.rid: dt_to_ms(row.last_edit) or 0 for row in conn.execute(query)}


def sync_threads(ctx: SyncContext) -> None:
    """Rooms known to have threads; rooms whose messages were never walked (threads synced on
    their own) are asked too, unless known to be unreadable. A room whose message walk completed
    in this run costs no request: that walk already wrote its thread parents (every counter change
    moves the parent's `_updatedAt`), so its threads checkpoint takes the walk's watermark."""
    with_threads = _rooms_with_threads(ctx)
    edited = with_threads if ctx.settings.sync.track_history else {}
    with ctx.engine.connect() as conn:
        walked = load_checkpoints(conn, "messages")
    tasks: list[RoomTask] = []
    covered: list[RoomTask] = []
    for task in rooms_to_walk(ctx, "threads"):
        if _walked_this_run(ctx, walked.get(task.room_id)):
            (tasks if _parent_edited(task, edited) else covered).append(task)
        elif task.room_id in with_threads or task.room_id not in walked:
            tasks.append(task)
    _covered_by_messages(ctx, covered, walked)
    ctx.progress.resource_started("threads", total=len(tasks))
    log.info("threads: %d room(s) with threads to check", len(tasks))
    run_walks(
        ctx,
        tasks,
        lambda task: walk_threads(ctx, task),
        lambda t: f"threads {t.room_id}",
        "threads",
    )


def _parent_edited(task: RoomTask, edited: dict[str, int]) -> bool:
    """A thread parent of this room was edited since its last thread walk. With KeepHistory on,
    the edits made between two syncs are only visible as the parent's history clones, which
    chat.syncThreadsList returns (it has no `_hidden` filter): such a room is asked from its
    previous threads watermark, one request per room with an edited parent. A room never
    walked for threads (a first sync) is not: its parents were just written."""
    cp = task.checkpoint
    if cp is None or cp.watermark_ms is None or task.reconcile:
        return False
    return edited.get(task.room_id, 0) > cp.watermark_ms


def _walked_this_run(ctx: SyncContext, cp: Checkpoint | None) -> bool:
    """The room's message walk completed in this run (after the run started)."""
    started = ctx.summary.started_at
    return (
        cp is not None
        and cp.status == "complete"
        and cp.updated_at is not None
        and started is not None
        and _aware(cp.updated_at) >= started
    )


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _covered_by_messages(
    ctx: SyncContext, tasks: list[RoomTask], walked: dict[str, Checkpoint]
) -> None:
    """Threads checkpoints of the rooms the message walk covered, in one transaction: complete at
    the message walk's watermark, so a later `resources: [threads]` run asks
    chat.syncThreadsList from there and a quiet room is not taken for a changed one."""
    if not tasks:
        return
    done = [
        Checkpoint(
            "threads",
            task.room_id,
            walked[task.room_id].watermark_ms,
            cursor=Cursor(room_updated_ms=task.room_updated_ms),
            status="complete",
        )
        for task in tasks
    ]
    write_page(ctx, PageWrite("threads", "messages", checkpoints=done))
    log.info("threads: %d room(s) covered by this run's message walk", len(tasks))


def walk_threads(ctx: SyncContext, task: RoomTask) -> Iterator[PageWrite]:
    cp = task.checkpoint
    since = None if cp is None or task.reconcile else cp.watermark_ms
    rejected: list[Rejected] = []
    future = Future()
    try:
        if since is None:
            parents: list[Doc] = []
            params = {"rid": task.room_id}
            size = ctx.settings.sync.page_size
            for page in fetch_offset_pages(ctx.client, THREADS_LIST, params, page_size=size):
                parents.extend(page.items)
                rejected.extend(page.rejected)
            removed: list[tuple[str, datetime | None]] = []
            stamped = [(doc["_id"], doc_ms(doc)) for doc in parents]
            bound = watermark_bound(ctx.client)
            watermark = bounded_watermark(0, stamped, bound, future) or None
        else:
            delta = fetch_delta(ctx.client, THREADS_SYNC, since, {"rid": task.room_id})
            parents, rejected, future = delta.update, delta.rejected, delta.future
            removed = [(d["_id"], deletion_time(d)) for d in delta.remove]
            watermark = delta.watermark_ms
    except (PermissionDeniedError, BadRequestError) as exc:
        # Threads_enabled off answers 400 `Threads Disabled [error-not-allowed]`: the same
        # errorType as a room the token cannot read, and as harmless (no threads to store).
        if unreadable_reason(exc) is None:
            raise
        watermark, parents, removed = since, [], []
    upserts, rm_deleted = split_messages(parents)
    cursor = Cursor(room_updated_ms=task.room_updated_ms)
    done = Checkpoint("threads", task.room_id, watermark, cursor=cursor, status="complete")
    deletions = list(removed) + rm_deleted
    # The cursor walk usually wrote these parents already: write only what differs.
    write = PageWrite("threads", "messages", upserts, deletions, [done], rooms_done=1)
    write.only_changed = True
    write.rejected, write.future = rejected, future
    # syncThreadsList has no `_hidden` filter: thread parents' history clones come with it.
    write.clones = history_clones(parents)
    write.deleted_by = deleters(parents)
    yield write
