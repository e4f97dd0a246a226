"""Room members: the complete member list of each changed room (`channels.members`,
`groups.members`). DMs carry their members in the room document (`uids`), so the room record
already writes them. There is no delta endpoint: a changed room's list is replaced as a whole."""

from __future__ import annotations

from collections.abc import Iterator

from etl.endpoints import MEMBERS, Endpoint
from etl.errors import BadRequestError, PermissionDeniedError
from etl.intake import Rejected
from etl.state import Checkpoint, Cursor
from etl.sync.context import SyncContext, log
from etl.sync.page_writer import PageWrite
from etl.sync.pool import run_walks
from etl.sync.room_tasks import RoomTask, readable_rooms_to_walk
from etl.walkers import Doc, fetch_offset_pages


def sync_members(ctx: SyncContext) -> None:
    tasks = readable_rooms_to_walk(ctx, "members", ("c", "p"))
    ctx.progress.resource_started("members", total=len(tasks))
    log.info("members: %d room(s) to list", len(tasks))
    run_walks(
        ctx,
        tasks,
        lambda task: walk_members(ctx, task),
        lambda t: f"members {t.room_id}",
        "members",
    )


def walk_members(ctx: SyncContext, task: RoomTask) -> Iterator[PageWrite]:
    cursor = Cursor(room_updated_ms=task.room_updated_ms)
    try:
        endpoint = MEMBERS[task.room_type or "c"]
        # `usersCount` below a page: one page, no `count=0` answer to confirm.
        members, rejected = read_whole_list(ctx, endpoint, task.room_id, expect=task.users_count)
    except (PermissionDeniedError, BadRequestError) as exc:
        yield unreadable_room("members", task.room_id, cursor, exc)
        return
    done = Checkpoint("members", task.room_id, cursor=cursor, status="complete")
    write = PageWrite("members", "rooms", checkpoints=[done], rooms_done=1, rejected=rejected)
    write.members[task.room_id] = members
    yield write


def read_whole_list(
    ctx: SyncContext, endpoint: Endpoint, room_id: str, expect: int | None = None
) -> tuple[list[Doc], list[Rejected]]:
    """Every page of a per-room list without a delta (members, uploads): the whole list.
    `expect`, when the room document says how many there are, spares the confirming request."""
    docs: list[Doc] = []
    rejected: list[Rejected] = []
    size = ctx.settings.sync.page_size
    params = {"roomId": room_id}
    for page in fetch_offset_pages(ctx.client, endpoint, params, page_size=size, expect=expect):
        docs.extend(page.items)
        rejected.extend(page.rejected)
    return docs, rejected


def unreadable_room(resource: str, room_id: str, cursor: Cursor, exc: Exception) -> PageWrite:
    """The room's walk is settled as unreadable for `resource` (retried when the room moves)."""
    done = Checkpoint(resource, room_id, cursor=cursor, status="unreadable", error=str(exc))
    return PageWrite(resource, "rooms", checkpoints=[done], rooms_done=1)
