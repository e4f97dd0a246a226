"""Uploads (`channels|groups|im.files`): the upload documents of each changed room, then,
when `sync.files.download` is on, their bytes (etl.files).

There is no `updatedSince` on these endpoints: a room's list is read whole (a cheap page or two
per room) and deletions are the stored ids the server no longer lists. Only rooms whose
`_updatedAt` moved since their last files walk are read (an upload posts a message and deleting a
file's message deletes the upload; both move the room); a reconcile reads every room.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select, union

from etl.endpoints import FILES
from etl.errors import BadRequestError, PermissionDeniedError
from etl.files.step import download_files
from etl.intake import Rejected
from etl.normalise.uploads import without_token
from etl.schema.bookkeeping import SyncState
from etl.schema.children import MessageFile
from etl.schema.synced import Message, Room, Upload
from etl.scrub import scrub_rejected
from etl.state import Checkpoint, Cursor
from etl.sync.context import SyncContext, log
from etl.sync.members import read_whole_list, unreadable_room
from etl.sync.page_writer import PageWrite, write_page
from etl.sync.pending_policy import apply_pending_policy
from etl.sync.pool import run_walks
from etl.sync.room_tasks import RoomTask, readable_rooms_to_walk

UPLOADS = Upload.__table__


def sync_uploads(ctx: SyncContext) -> None:
    tasks = readable_rooms_to_walk(ctx, "uploads", FILES)
    tasks, fileless = split_fileless(ctx, tasks)
    if fileless:
        write_page(ctx, settled_without_listing(fileless))
    gone = uploads_of_deleted_rooms(ctx)
    if gone:  # deleting a room deletes its files; a deleted room is never listed again
        write_page(ctx, gone)
    ctx.progress.resource_started("uploads", total=len(tasks))
    log.info("uploads: %d room(s) to list", len(tasks))
    run_walks(
        ctx, tasks, lambda t: walk_uploads(ctx, t), lambda t: f"uploads {t.room_id}", "uploads"
    )
    if "uploads" in ctx.reconcile and not ctx.stopped:
        apply_pending_policy(ctx, "uploads")  # before the bytes no upload row points at go
    if ctx.settings.sync.files.download and not ctx.stopped:
        download_files(ctx)


def split_fileless(
    ctx: SyncContext, tasks: list[RoomTask]
) -> tuple[list[RoomTask], list[RoomTask]]:
    """(rooms to list, rooms with nothing to list). Every upload a `*.files` listing shows has its
    message (`rooms.upload` and `rooms.mediaConfirm` post it; deleting it deletes or hides the
    upload), so a room the message walk has read completely, where no stored message carries a
    file and no upload is stored, is settled without a request: a first sync asks `*.files` only
    of rooms with files."""
    if not tasks:  # a no-change run: nothing to look up
        return [], []
    messages, files, state = Message.__table__, MessageFile.__table__, SyncState.__table__
    walked = select(state.c.scope).where(
        state.c.resource == "messages", state.c.status == "complete"
    )
    with_files = union(
        select(messages.c.rid).join(files, files.c.message_id == messages.c.id),
        select(UPLOADS.c.rid),
    )
    with ctx.engine.connect() as conn:
        read = set(conn.execute(walked).scalars())
        has_files = set(conn.execute(with_files).scalars())
    fileless = [t for t in tasks if t.room_id in read and t.room_id not in has_files]
    skip = {t.room_id for t in fileless}
    return [t for t in tasks if t.room_id not in skip], fileless


def settled_without_listing(tasks: list[RoomTask]) -> PageWrite:
    """Complete checkpoints for rooms with nothing to list, so the next run asks nothing either."""
    done = [
        Checkpoint(
            "uploads",
            t.room_id,
            cursor=Cursor(room_updated_ms=t.room_updated_ms),
            status="complete",
        )
        for t in tasks
    ]
    return PageWrite("uploads", "rooms", checkpoints=done, rooms_done=len(done))


def uploads_of_deleted_rooms(ctx: SyncContext) -> PageWrite | None:
    rooms = Room.__table__
    query = select(UPLOADS.c.id).where(
        UPLOADS.c.deleted_at.is_(None),
        UPLOADS.c.rid.in_(select(rooms.c.id).where(rooms.c.deleted_at.is_not(None))),
    )
    with ctx.engine.connect() as conn:
        ids = [row.id for row in conn.execute(query)]
    return PageWrite("uploads", "uploads", deletions=[(i, None) for i in ids]) if ids else None


def walk_uploads(ctx: SyncContext, task: RoomTask) -> Iterator[PageWrite]:
    cursor = Cursor(room_updated_ms=task.room_updated_ms)
    try:
        found, screened = read_whole_list(ctx, FILES[task.room_type or "c"], task.room_id)
    except (PermissionDeniedError, BadRequestError) as exc:
        yield unreadable_room("uploads", task.room_id, cursor, exc)
        return
    docs = [without_token(doc) for doc in found]
    # a quarantined item may be JSON text the screen could not parse: scrubbed as text too
    rejected = scrub_rejected(
        Rejected(without_token(r.raw), r.reason, r.record_id) for r in screened
    )
    seen = {doc.get("_id") for doc in docs} | {r.record_id for r in rejected}
    query = select(UPLOADS.c.id).where(
        UPLOADS.c.rid == task.room_id, UPLOADS.c.deleted_at.is_(None)
    )
    with ctx.engine.connect() as conn:
        gone: list[tuple[str, datetime | None]] = [
            (row.id, None) for row in conn.execute(query) if row.id not in seen
        ]
    done = Checkpoint("uploads", task.room_id, cursor=cursor, status="complete")
    yield PageWrite(
        "uploads",
        "uploads",
        docs=docs,
        deletions=gone,
        checkpoints=[done],
        rooms_done=1,
        rejected=rejected,
        only_changed=True,
    )
