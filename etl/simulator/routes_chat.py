"""`chat.*` reads: syncMessages (both modes), deletions, single messages, threads."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any, TypeVar

from etl.simulator.access import can_access_room
from etl.simulator.clock import iso, parse_date
from etl.simulator.errors import failure, invalid_params, not_allowed, plain_failure
from etl.simulator.lookup import iso_param
from etl.simulator.messages import Msg, TrashMsg
from etl.simulator.pagination import page_items, paged, parse_int, parse_sort, sort_docs, window
from etl.simulator.routing import LEGACY, PAGING, Ctx, Registry, for_user, raw
from etl.simulator.workspace import Workspace

routes = Registry()
HIGH = "\U0010ffff"
Row = TypeVar("Row", Msg, TrashMsg)  # a syncMessages page: live messages or tombstones


def _cursor_ms(value: str) -> int:
    match = re.match(r"\s*(-?\d+)", value)
    if not match:
        raise plain_failure("Invalid Date")  # `extractTimestampFromCursor`
    return int(match.group(1))


def _readable(ws: Workspace, uid: str, rid: str) -> bool:
    room = ws.rooms.get(rid)
    return room is not None and can_access_room(ws, uid, room)


@routes.get(
    "chat.syncMessages", allowed={"roomId", "lastUpdate", "count", "next", "previous", "type"}
)
def sync_messages(ctx: Ctx) -> dict[str, Any]:
    """The route's own checks, then `getMessageHistory`'s, in the server's order."""
    p = ctx.params
    rid = ctx.require("roomId")
    last_update, kind = p.get("lastUpdate"), p.get("type")
    nxt, prev = p.get("next"), p.get("previous")
    if not last_update and not kind:
        raise failure(
            "error-param-required", 'The "type" or "lastUpdate" parameters must be provided'
        )
    since = parse_date(last_update) if last_update else None
    if last_update and since is None:
        raise failure(
            "error-lastUpdate-param-invalid",
            'The "lastUpdate" query parameter must be a valid date',
        )
    if kind is not None and kind not in ("UPDATED", "DELETED"):
        raise invalid_params("must be equal to one of the allowed values (type)")
    count = parse_int(p["count"], "count") if p.get("count") else 0
    if not _readable(ctx.ws, ctx.uid, rid):
        raise not_allowed()
    _check_cursor_params(kind, nxt, prev, last_update)
    if since is not None:
        return {"result": _without_pagination(ctx, rid, since)}
    if not (nxt or prev):
        return {"result": {"updated": [], "deleted": []}}  # falls through to getChannelHistory
    # `...(count && {count})`: 0 falls back to the default 20; there is no upper cap.
    return {"result": _cursor_page(ctx, rid, kind or "UPDATED", count or 20, nxt, prev)}


def _check_cursor_params(
    kind: str | None, nxt: str | None, prev: str | None, last: str | None
) -> None:
    if (nxt or prev) and not kind:
        raise failure(
            "error-type-param-required",
            'The "type" parameter is required when using the "next" or "previous" parameters',
        )
    if nxt and prev:
        raise failure(
            "error-cursor-conflict", 'You cannot provide both "next" and "previous" parameters'
        )
    if (nxt or prev) and last:
        raise failure(
            "error-cursor-and-lastUpdate-conflict",
            'The attributes "next", "previous" and "lastUpdate" cannot be used together',
        )


def _without_pagination(ctx: Ctx, rid: str, since: int) -> dict[str, Any]:
    ws = ctx.ws
    index = ws.messages.rooms.get(rid)
    if index is None:
        return {"updated": [], "deleted": []}
    by_id = ws.messages.by_id
    changed = [by_id[mid] for _, mid in index.by_upd[bisect_right(index.by_upd, (since, HIGH)) :]]
    changed.sort(key=lambda m: (m.ts, m.id), reverse=True)
    floor = max(since, ws.trash_cutoff())
    trash = ws.messages.trash
    gone = [trash[mid] for _, mid in index.trash[bisect_right(index.trash, (floor, HIGH)) :]]
    return {
        "updated": [for_user(m, ctx.uid) for m in changed],
        "deleted": [{"_id": t.id, "_deletedAt": iso(t.deleted)} for t in reversed(gone)],
    }


def _cursor_page(
    ctx: Ctx, rid: str, kind: str, count: int, nxt: str | None, prev: str | None
) -> dict[str, Any]:
    """`handleCursorPagination`: strict `$gt`/`$lt` on epoch-ms cursors, `limit count+1`."""
    ws = ctx.ws
    index = ws.messages.rooms.get(rid)
    pivot = _cursor_ms(nxt or prev or "0")
    if kind == "UPDATED":
        rows: list[Msg] = []
        if index is not None:
            keys, by_id = index.by_upd, ws.messages.by_id
            if nxt:
                start = bisect_right(keys, (pivot, HIGH))
                rows = [by_id[mid] for _, mid in keys[start : start + count + 1]]
            else:
                end = bisect_left(keys, (pivot, ""))
                rows = [by_id[mid] for _, mid in reversed(keys[max(0, end - count - 1) : end])]
        cursor = _cursors(rows, count, lambda m: str(m.upd), bool(nxt))
        rows = rows[:count]
        return {"updated": [for_user(m, ctx.uid) for m in rows], "deleted": [], "cursor": cursor}
    gone: list[TrashMsg] = []
    if index is not None:
        # The trash query filters on `_deletedAt` but sorts on `_updatedAt`: small pages skip
        # tombstones.
        floor, trash = ws.trash_cutoff(), ws.messages.trash
        items = [trash[mid] for deleted, mid in index.trash if deleted > floor]
        items = [t for t in items if (t.deleted > pivot if nxt else t.deleted < pivot)]
        items.sort(key=lambda t: t.upd, reverse=not nxt)
        gone = items[: count + 1]
    cursor = _cursors(gone, count, lambda t: str(t.deleted), bool(nxt))
    gone = gone[:count]
    return {
        "updated": [],
        "deleted": [{"_id": t.id, "_deletedAt": iso(t.deleted)} for t in gone],
        "cursor": cursor,
    }


def _cursors(
    rows: list[Row], count: int, stamp: Callable[[Row], str], forward: bool
) -> dict[str, str | None]:
    return {
        "next": _next_cursor(rows, count, stamp, forward),
        "previous": _prev_cursor(rows, count, stamp, forward),
    }


def _next_cursor(
    rows: list[Row], count: int, stamp: Callable[[Row], str], forward: bool
) -> str | None:
    if not rows:
        return None
    if not forward:
        return stamp(rows[0])
    return stamp(rows[-2]) if len(rows) > count else None


def _prev_cursor(
    rows: list[Row], count: int, stamp: Callable[[Row], str], forward: bool
) -> str | None:
    if not rows:
        return None
    if forward:
        return stamp(rows[0])
    return stamp(rows[-2]) if len(rows) > count else None


@routes.get("chat.getDeletedMessages", allowed=PAGING | {"roomId", "since"})
def deleted_messages(ctx: Ctx) -> dict[str, Any]:
    """Ids only, and no room-access check in this version (a GDPR compromise)."""
    ws = ctx.ws
    rid = ctx.require("roomId")
    since = iso_param(ctx, "since", required=True) or 0
    offset, count = page_items(ws, ctx.params)
    index = ws.messages.rooms.get(rid)
    floor = max(since, ws.trash_cutoff())
    keys = index.trash[bisect_right(index.trash, (floor, HIGH)) :] if index else []
    return paged("messages", [{"_id": mid} for _, mid in keys], offset, count)


@routes.get("chat.getMessage", allowed={"msgId"})
def get_message(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.ws
    msg = ws.messages.by_id.get(ctx.require("msgId"))
    if msg is None:
        raise failure("error-invalid-message-id", "Invalid message id")
    if not _readable(ws, ctx.uid, msg.rid):
        raise failure("error-action-not-allowed", "Not allowed")
    return {"message": for_user(msg, ctx.uid)}


def _thread_room(ctx: Ctx, rid: str) -> None:
    ws = ctx.ws
    if not ws.setting("Threads_enabled"):
        raise failure("error-not-allowed", "Threads Disabled")
    if not _readable(ws, ctx.uid, rid):
        raise failure("error-not-allowed", "Not Allowed")


@routes.get("chat.getThreadsList", allowed=PAGING | LEGACY | {"rid", "type", "text"})
def threads_list(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.ws
    rid = ctx.require("rid")
    _thread_room(ctx, rid)
    offset, count = page_items(ws, ctx.params)
    spec = parse_sort(ctx.params, [("tlm", -1)])
    index = ws.messages.rooms.get(rid)
    parents = [ws.messages.by_id[mid] for mid in (index.parents if index else ())]
    docs = [m.doc() for m in parents if not m.hidden]
    kind, text = ctx.params.get("type"), ctx.params.get("text")
    if kind == "following":
        docs = [d for d in docs if ctx.uid in d.get("replies", [])]
    elif kind == "unread":
        docs = []  # nobody has unread thread messages in the simulator
    if text:
        pattern = re.compile(re.escape(text), re.IGNORECASE)
        docs = [d for d in docs if pattern.search(d.get("msg", ""))]
    docs = sort_docs(sort_docs(docs, [("_id", 1)]), spec)
    by_id = ws.messages.by_id
    page = [for_user(by_id[d["_id"]], ctx.uid) for d in window(docs, offset, count)]
    return {"threads": page, "count": len(page), "offset": offset, "total": len(docs)}


@routes.get("chat.syncThreadsList", allowed=LEGACY | {"sort", "rid", "updatedSince"})
def sync_threads_list(ctx: Ctx) -> dict[str, Any]:
    """`update` has no `_hidden` filter (parents' history clones leak); `remove`: trash docs."""
    ws = ctx.ws
    rid = ctx.require("rid")
    since = iso_param(ctx, "updatedSince", required=True) or 0
    _thread_room(ctx, rid)
    index = ws.messages.rooms.get(rid)
    by_id = ws.messages.by_id
    update = sorted((by_id[mid] for mid in (index.parents if index else ())), key=lambda m: m.upd)
    floor = max(since, ws.trash_cutoff())
    trash = [ws.messages.trash[mid] for d, mid in (index.trash if index else []) if d > floor]
    return {
        "threads": {
            "update": [raw(m) for m in update if m.upd > since],
            "remove": [raw(t) for t in trash if t.is_parent],
        }
    }


def _thread_parent(ctx: Ctx) -> Msg:
    parent = ctx.ws.messages.by_id.get(ctx.require("tmid"))
    if parent is None:
        raise failure("error-invalid-message", "Invalid Message")
    _thread_room(ctx, parent.rid)
    return parent


@routes.get("chat.getThreadMessages", allowed=PAGING | LEGACY | {"tmid", "aroundId"})
def thread_messages(ctx: Ctx) -> dict[str, Any]:
    """`find({tmid})`: no `_hidden` filter, not normalised, parent excluded, `ts` ascending."""
    ws = ctx.ws
    parent = _thread_parent(ctx)
    offset, count = page_items(ws, ctx.params)
    spec = parse_sort(ctx.params, [("ts", 1)])
    keys = ws.messages.threads.get(parent.id, [])
    by_id = ws.messages.by_id
    if spec in ([("ts", 1)], [("ts", 1), ("_id", 1)]):  # the {tmid} index order
        return paged("messages", [raw(by_id[mid]) for _, mid in keys], offset, count)
    docs = sort_docs((by_id[mid].doc() for _, mid in keys), spec)
    return paged("messages", [raw(by_id[d["_id"]]) for d in docs], offset, count)


@routes.get("chat.syncThreadMessages", allowed=PAGING | LEGACY | {"tmid", "updatedSince"})
def sync_thread_messages(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.ws
    since = iso_param(ctx, "updatedSince", required=True) or 0
    parent = _thread_parent(ctx)
    by_id = ws.messages.by_id
    update = [
        by_id[mid] for _, mid in ws.messages.threads.get(parent.id, []) if by_id[mid].upd > since
    ]
    floor = max(since, ws.trash_cutoff())
    index = ws.messages.rooms.get(parent.rid)
    trash = [ws.messages.trash[mid] for d, mid in (index.trash if index else []) if d > floor]
    return {
        "messages": {
            "update": [raw(m) for m in update],
            "remove": [raw(t) for t in trash if t.tmid == parent.id],
        }
    }
