"""`channels|groups|im.history` and `channels|groups|im.messages` (+ `im.messages.others`)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

import orjson

from etl.simulator.access import has_permission
from etl.simulator.clock import parse_date
from etl.simulator.errors import failure, forbidden, invalid_params
from etl.simulator.lookup import room_of_kind
from etl.simulator.pagination import page_items, parse_int, parse_sort, sort_docs, window
from etl.simulator.routing import LEGACY, PAGING, Ctx, Handler, Registry, for_user

routes = Registry()
HIGH = "\U0010ffff"
HISTORY_PARAMS = {
    "roomId",
    "roomName",
    "username",
    "latest",
    "oldest",
    "inclusive",
    "offset",
    "count",
    "unreads",
    "showThreadMessages",
}
MESSAGES_PARAMS = (
    PAGING | LEGACY | {"roomId", "roomName", "username", "mentionIds", "starredIds", "pinned"}
)


def _bound(ctx: Ctx, name: str, default: int | None) -> int | None:
    value = ctx.params.get(name)
    if not value:
        return default
    ms = parse_date(value)
    if ms is None:
        raise invalid_params(f'must match format "iso-date-time" ({name})')
    return ms


def history(
    ctx: Ctx, room: dict[str, Any], show_threads: bool, offset: int, count: int | None
) -> dict[str, Any]:
    """`getChannelHistory`: newest first, `ts` window, `_hidden` and hidden system types out."""
    ws = ctx.ws
    index = ws.messages.rooms.get(room["_id"])
    if index is None:
        return {"messages": []}
    keys = index.by_ts if show_threads else index.main
    inclusive = ctx.params.get("inclusive") == "true"  # only the string 'true' counts
    latest = _bound(ctx, "latest", ws.now())
    oldest = _bound(ctx, "oldest", None)
    hi = bisect_right(keys, (latest, HIGH)) if inclusive else bisect_left(keys, (latest, ""))
    lo = 0
    if oldest is not None:
        lo = bisect_left(keys, (oldest, "")) if inclusive else bisect_right(keys, (oldest, HIGH))
    hidden_types = set(ws.setting("Hide_System_Messages") or [])
    if isinstance(room.get("sysMes"), list):
        hidden_types.update(room["sysMes"])
    by_id, out, skipped = ws.messages.by_id, [], 0
    for i in range(hi - 1, lo - 1, -1):
        msg = by_id[keys[i][1]]
        if hidden_types and msg.t in hidden_types:
            continue
        if skipped < offset:
            skipped += 1
            continue
        out.append(for_user(msg, ctx.uid))
        if count is not None and len(out) >= count:
            break
    return {"messages": out}


def _history_for(kind: str) -> Handler:
    def handler(ctx: Ctx) -> dict[str, Any]:
        room = room_of_kind(ctx, kind)
        offset, count = page_items(ctx.ws, ctx.params)
        return history(ctx, room, ctx.params.get("showThreadMessages") == "true", offset, count)

    return handler


routes.get("channels.history", allowed=HISTORY_PARAMS)(_history_for("c"))
routes.get(("im.history", "dm.history"), allowed=HISTORY_PARAMS)(_history_for("d"))


@routes.get("groups.history", allowed=HISTORY_PARAMS)
def groups_history(ctx: Ctx) -> dict[str, Any]:
    """Bypasses `getPaginationItems`: default 20, no cap; thread replies shown unless 'false'."""
    room = room_of_kind(ctx, "p")
    offset = parse_int(ctx.params["offset"], "offset") if ctx.params.get("offset") else 0
    count = parse_int(ctx.params["count"], "count") if ctx.params.get("count") else 0
    return history(ctx, room, ctx.params.get("showThreadMessages") != "false", offset, count or 20)


def _id_list(ctx: Ctx, name: str) -> list[str] | None:
    value = ctx.params.get(name)
    if value is None:
        return None
    try:
        ids = orjson.loads(value)
    except orjson.JSONDecodeError:
        ids = value.split(",")
    return ids if isinstance(ids, list) else [str(ids)]


FAST_SORTS = {
    (("ts", -1),): -1,
    (("ts", 1),): 1,
    (("ts", 1), ("_id", 1)): 1,
    (("ts", -1), ("_id", -1)): -1,
}


def messages_page(ctx: Ctx, room: dict[str, Any]) -> dict[str, Any]:
    """`Messages.findPaginated({rid, _hidden: {$ne: true}, ...})`: replies, system messages too."""
    ws = ctx.ws
    offset, count = page_items(ws, ctx.params)
    spec = parse_sort(ctx.params, [("ts", -1)])
    mention_ids, starred_ids = _id_list(ctx, "mentionIds"), _id_list(ctx, "starredIds")
    pinned = ctx.params.get("pinned") == "true"
    index = ws.messages.rooms.get(room["_id"])
    keys = index.by_ts if index else []
    by_id = ws.messages.by_id
    direction = FAST_SORTS.get(tuple(spec))
    if direction is not None and not (mention_ids or starred_ids or pinned):
        total = len(keys)
        if direction > 0:
            page = window(keys, offset, count)
        else:
            end = total - offset
            page = keys[max(0, end - count) if count else 0 : max(end, 0)][::-1]
        msgs = [for_user(by_id[mid], ctx.uid) for _, mid in page]
        return {"messages": msgs, "count": len(msgs), "offset": offset, "total": total}
    docs = [by_id[mid].doc() for _, mid in keys]
    if mention_ids:
        docs = [d for d in docs if any(m.get("_id") in mention_ids for m in d.get("mentions", []))]
    if starred_ids:
        docs = [d for d in docs if any(s.get("_id") in starred_ids for s in d.get("starred", []))]
    if pinned:
        docs = [d for d in docs if d.get("pinned")]
    docs = sort_docs(docs, spec)
    page = [for_user(by_id[d["_id"]], ctx.uid) for d in window(docs, offset, count)]
    return {"messages": page, "count": len(page), "offset": offset, "total": len(docs)}


def _messages_for(kind: str) -> Handler:
    def handler(ctx: Ctx) -> dict[str, Any]:
        return messages_page(ctx, room_of_kind(ctx, kind))

    return handler


routes.get("channels.messages", allowed=MESSAGES_PARAMS)(_messages_for("c"))
routes.get("groups.messages", allowed=MESSAGES_PARAMS)(_messages_for("p"))
routes.get(("im.messages", "dm.messages"), allowed=MESSAGES_PARAMS)(_messages_for("d"))


@routes.get(("im.messages.others", "dm.messages.others"), allowed=PAGING | LEGACY | {"roomId"})
def im_messages_others(ctx: Ctx) -> dict[str, Any]:
    """The one way to read a DM one is not part of; off unless the setting enables it."""
    ws = ctx.ws
    if not ws.setting("API_Enable_Direct_Message_History_EndPoint"):
        raise failure("error-endpoint-disabled", "This endpoint is disabled")
    if not has_permission(ws, ctx.uid, "view-room-administration"):
        raise forbidden()
    room = ws.rooms.get(ctx.require("roomId"))
    if room is None or room["t"] != "d":
        raise failure(
            "error-room-not-found",
            f"No direct message room found by the id of: {ctx.params['roomId']}",
        )
    offset, count = page_items(ws, ctx.params)
    spec = parse_sort(ctx.params, [("ts", -1)])
    docs = sort_docs((m.doc() for m in ws.messages.visible(room["_id"])), spec)
    by_id = ws.messages.by_id
    page = [for_user(by_id[d["_id"]], ctx.uid) for d in window(docs, offset, count)]
    return {"messages": page, "offset": offset, "count": len(page), "total": len(docs)}
