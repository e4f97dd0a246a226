"""Message walks for servers without chat.syncMessages cursor mode.

Older servers reject `type`/`next` (400, strict params) and get `lastUpdate` mode: every change
since a date in one unpaginated answer. Servers without chat.syncMessages at all (404) get the
per-type `*.messages` offset walks, which include thread replies and system messages (unlike
`*.history`); those walks are always full, so vanished ids are found by comparing with the stored
ones.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

from etl.endpoints import ROOM_MESSAGES
from etl.errors import ApiError, NotFoundError
from etl.intake import rejected_ids, watermark_bound
from etl.message_walkers import fetch_messages_last_update
from etl.state import Checkpoint, Cursor
from etl.sync.context import SyncContext, log
from etl.sync.page_writer import PageWrite
from etl.sync.room_tasks import (
    RoomTask,
    deleters,
    history_clones,
    split_messages,
    stored_ids,
)
from etl.timestamps import deletion_time, doc_ms
from etl.walkers import (
    Doc,
    Future,
    bounded_watermark,
    fetch_offset_pages,
)


class MessageMode:
    """How this run reads messages; shared by the fetch threads, downgraded at most twice."""

    def __init__(self, kind: str = "cursor") -> None:
        self.kind = kind
        self._lock = threading.Lock()

    def downgrade(self, exc: ApiError, tried: str) -> bool:
        """After `exc` in mode `tried`: True when the caller should walk again in the (new)
        current mode. Room walks run concurrently: when another walk already moved the mode on
        from `tried`, this one simply follows it rather than re-raising the same 400/404."""
        with self._lock:
            if self.kind != tried:
                return True
            if self.kind == "cursor":
                self.kind = "offset" if isinstance(exc, NotFoundError) else "last_update"
            elif self.kind == "last_update" and isinstance(exc, NotFoundError):
                self.kind = "offset"
            else:
                return False
            log.warning("chat.syncMessages: %s; reading messages in %s mode", exc, self.kind)
            return True


def walk_room_fallback(
    ctx: SyncContext,
    task: RoomTask,
    mode: MessageMode,
) -> Iterator[PageWrite]:
    cp = task.checkpoint
    since = 0 if cp is None or task.reconcile else cp.watermark_ms or 0
    if mode.kind == "last_update":
        try:
            changes = fetch_messages_last_update(ctx.client, task.room_id, since)
        except NotFoundError as exc:
            if not mode.downgrade(exc, "last_update"):
                raise
        else:
            upserts, removed = split_messages(changes.updated)
            removed += [(doc["_id"], deletion_time(doc)) for doc in changes.deleted]
            final = _final(task, changes.watermark_ms or None, upserts, removed)
            final.rejected, final.future = changes.rejected, changes.future
            final.clones = history_clones(changes.updated)
            final.deleted_by = deleters(changes.updated)
            yield final
            return
    yield from _walk_offset(ctx, task)


def _walk_offset(ctx: SyncContext, task: RoomTask) -> Iterator[PageWrite]:
    endpoint = ROOM_MESSAGES.get(task.room_type or "c", ROOM_MESSAGES["c"])
    seen: set[str] = set()
    watermark = 0
    params = {"roomId": task.room_id}
    for page in fetch_offset_pages(
        ctx.client, endpoint, params, page_size=ctx.settings.sync.page_size
    ):
        upserts, removed = split_messages(page.items)
        seen.update(doc["_id"] for doc in page.items)
        seen.update(rejected_ids(page.rejected))  # still on the server: not a deletion
        future = Future()
        stamped = [(doc["_id"], doc_ms(doc)) for doc in page.items]
        watermark = bounded_watermark(watermark, stamped, watermark_bound(ctx.client), future)
        write = PageWrite(
            "messages", "messages", upserts, removed, rejected=page.rejected, future=future
        )
        # Servers older than the `_hidden` filter of *.messages leak history clones here.
        write.clones = history_clones(page.items)
        write.deleted_by = deleters(page.items)
        yield write
        if ctx.stopped:
            return
    gone: list[tuple[str, datetime | None]] = [
        (doc_id, None) for doc_id in stored_ids(ctx, task.room_id) - seen
    ]
    yield _final(task, watermark or None, [], gone)


def _final(
    task: RoomTask,
    watermark: int | None,
    upserts: list[Doc],
    removed: list[tuple[str, datetime | None]],
) -> PageWrite:
    cursor = Cursor(room_updated_ms=task.room_updated_ms)
    done = Checkpoint("messages", task.room_id, watermark, cursor=cursor, status="complete")
    return PageWrite(
        "messages",
        "messages",
        upserts,
        removed,
        [done],
        room_access={task.room_id: None},
        rooms_done=1,
    )
