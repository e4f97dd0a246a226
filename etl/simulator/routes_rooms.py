"""Room enumeration and membership: rooms.*, channels/groups/im lists, members, teams."""

from __future__ import annotations

import random
from typing import Any

from etl.simulator.access import can_access_room, has_permission
from etl.simulator.errors import failure, forbidden, plain_failure
from etl.simulator.lookup import date_param, ms_of, room_by_params, room_of_kind
from etl.simulator.pagination import SortSpec, page_items, paged, parse_sort, sort_docs
from etl.simulator.routing import Ctx, Registry

routes = Registry()
ROOM_HIDDEN_FIELDS = ("joinCode", "members", "importIds", "e2e")  # `defaultFieldsToExclude`
ADMIN_FIELDS = (
    "_id",
    "prid",
    "fname",
    "name",
    "t",
    "cl",
    "u",
    "usernames",
    "ts",
    "usersCount",
    "muted",
    "unmuted",
    "ro",
    "default",
    "favorite",
    "featured",
    "reactWhenReadOnly",
    "topic",
    "msgs",
    "archived",
    "teamId",
    "teamMain",
    "announcement",
    "description",
    "customFields",
    "broadcast",
    "uids",
    "avatarETag",
)


def public_room(room: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in room.items() if k not in ROOM_HIDDEN_FIELDS}


def _listing(
    ctx: Ctx, key: str, rooms: list[dict[str, Any]], default_sort: SortSpec
) -> dict[str, Any]:
    offset, count = page_items(ctx.ws, ctx.params)
    spec = parse_sort(ctx.params, default_sort)
    return paged(key, [public_room(r) for r in sort_docs(rooms, spec)], offset, count)


def _joined(ctx: Ctx, kind: str) -> list[dict[str, Any]]:
    ws = ctx.ws
    rids = ws.subs_by_user.get(ctx.uid, {})
    return [ws.rooms[rid] for rid in rids if rid in ws.rooms and ws.rooms[rid]["t"] == kind]


def _require(ctx: Ctx, permission: str) -> None:
    if not has_permission(ctx.ws, ctx.uid, permission):
        raise forbidden()


@routes.get("rooms.get")
def rooms_get(ctx: Ctx) -> dict[str, Any]:
    """`remove` lists every room deleted server-wide since then, not just the caller's."""
    ws = ctx.ws
    since = date_param(
        ctx,
        "updatedSince",
        "error-updatedSince-param-invalid",
        'The "updatedSince" query parameter must be a valid date.',
    )
    rooms = [ws.rooms[rid] for rid in ws.subs_by_user.get(ctx.uid, {}) if rid in ws.rooms]
    if since is None:
        return {"update": [public_room(r) for r in rooms], "remove": []}
    update = [public_room(r) for r in rooms if ms_of(r) > since]
    remove = ws.tombstones("rooms", since)
    return {"update": update, "remove": remove}


@routes.get("rooms.adminRooms")
def admin_rooms(ctx: Ctx) -> dict[str, Any]:
    """All rooms, but projected without `_updatedAt`, `lm` and `lastMessage`.

    Without `view-room-administration`, `findAdminRooms` throws a plain
    `Error('error-not-authorized')`, which the REST layer answers as a `failure`: 400, not the
    403 of the other admin listings."""
    if not has_permission(ctx.ws, ctx.uid, "view-room-administration"):
        raise plain_failure("error-not-authorized")
    types = ctx.multi.get("types[]", []) + ctx.multi.get("types", [])
    text = (ctx.params.get("filter") or "").lower()
    discussions, teams = "discussions" in types, "teams" in types
    kinds = {t for t in types if t not in ("discussions", "teams")}
    rooms = []
    for room in ctx.ws.rooms.values():
        if (
            text
            and text not in (room.get("name") or "").lower()
            and text not in (room.get("fname") or "").lower()
        ):
            continue
        if types and not (
            (room["t"] in kinds and "prid" not in room)
            or (discussions and "prid" in room)
            or (teams and room.get("teamMain"))
        ):
            continue
        rooms.append({k: room[k] for k in ADMIN_FIELDS if k in room})
    offset, count = page_items(ctx.ws, ctx.params)
    spec = parse_sort(ctx.params, [("default", -1), ("name", 1)])
    return paged("rooms", sort_docs(rooms, spec), offset, count)


@routes.get("rooms.info")
def rooms_info(ctx: Ctx) -> dict[str, Any]:
    room = room_by_params(ctx)
    if room is None or not can_access_room(ctx.ws, ctx.uid, room):
        raise failure("error-not-allowed", "Not allowed")
    return {"room": public_room(room)}


@routes.get("channels.list")
def channels_list(ctx: Ctx) -> dict[str, Any]:
    """Team channels the caller has not joined are invisible here, even to admins."""
    ws = ctx.ws
    full = has_permission(ws, ctx.uid, "view-c-room")
    if not full and not has_permission(ws, ctx.uid, "view-joined-room"):
        raise forbidden()
    mine = ws.subs_by_user.get(ctx.uid, {})
    rooms = [r for r in ws.rooms.values() if r["t"] == "c" and (full or r["_id"] in mine)]
    rooms = [r for r in rooms if "teamId" not in r or r["_id"] in mine]
    if ctx.params.get("_id"):
        rooms = [r for r in rooms if r["_id"] == ctx.params["_id"]]
    return _listing(ctx, "channels", rooms, [("name", 1)])


@routes.get("channels.list.joined")
def channels_joined(ctx: Ctx) -> dict[str, Any]:
    return _listing(ctx, "channels", _joined(ctx, "c"), [("name", 1)])


@routes.get("groups.list")
def groups_list(ctx: Ctx) -> dict[str, Any]:
    return _listing(ctx, "groups", _joined(ctx, "p"), [("name", 1)])


@routes.get("groups.listAll")
def groups_list_all(ctx: Ctx) -> dict[str, Any]:
    _require(ctx, "view-room-administration")
    return _listing(
        ctx, "groups", [r for r in ctx.ws.rooms.values() if r["t"] == "p"], [("name", 1)]
    )


@routes.get(("im.list", "dm.list"))
def im_list(ctx: Ctx) -> dict[str, Any]:
    return _listing(ctx, "ims", _joined(ctx, "d"), [("name", 1)])


@routes.get(("im.list.everyone", "dm.list.everyone"))
def im_list_everyone(ctx: Ctx) -> dict[str, Any]:
    """Default sort `{name: 1}` but DMs have no name: without an explicit sort the order is a coin
    toss.
    """
    _require(ctx, "view-room-administration")
    rooms = [r for r in ctx.ws.rooms.values() if r["t"] == "d"]
    if "sort" not in ctx.params:
        random.Random().shuffle(rooms)
    return _listing(ctx, "ims", rooms, [("name", 1)])


def _members(ctx: Ctx, rid: str) -> dict[str, Any]:
    ws = ctx.ws
    users = [ws.users[uid] for uid in ws.subs_by_room.get(rid, {}) if uid in ws.users]
    docs = [
        {
            "_id": u["_id"],
            "username": u["username"],
            "name": u.get("name"),
            "status": u.get("status"),
            "utcOffset": u.get("utcOffset"),
        }
        for u in users
    ]
    offset, count = page_items(ws, ctx.params)
    spec = parse_sort(ctx.params, [("username", 1)])
    return paged("members", sort_docs(docs, spec), offset, count)


routes.get("channels.members")(lambda ctx: _members(ctx, room_of_kind(ctx, "c")["_id"]))
routes.get("groups.members")(lambda ctx: _members(ctx, room_of_kind(ctx, "p")["_id"]))
routes.get(("im.members", "dm.members"))(lambda ctx: _members(ctx, room_of_kind(ctx, "d")["_id"]))


@routes.get("teams.list")
def teams_list(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.ws
    teams = [t for tid, t in ws.teams.items() if ctx.uid in ws.team_members.get(tid, {})]
    return _team_page(ctx, teams)


@routes.get("teams.listAll")
def teams_list_all(ctx: Ctx) -> dict[str, Any]:
    _require(ctx, "view-all-teams")
    return _team_page(ctx, list(ctx.ws.teams.values()))


def _team_page(ctx: Ctx, teams: list[dict[str, Any]]) -> dict[str, Any]:
    offset, count = page_items(ctx.ws, ctx.params)
    return paged("teams", sort_docs(teams, parse_sort(ctx.params, [("name", 1)])), offset, count)


@routes.get("teams.members")
def teams_members(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.ws
    tid = ctx.params.get("teamId") or next(
        (t["_id"] for t in ws.teams.values() if t["name"] == ctx.params.get("teamName")), ""
    )
    team = ws.teams.get(tid)
    if team is None:
        raise failure("team-does-not-exist", "Team not found")
    room = ws.rooms.get(team["roomId"])
    if team["type"] == 1 and (room is None or not can_access_room(ws, ctx.uid, room)):
        raise forbidden()
    members = []
    for uid, member in ws.team_members.get(tid, {}).items():
        user = ws.users.get(uid, {})
        ref = {
            "_id": uid,
            "username": user.get("username"),
            "name": user.get("name"),
            "status": user.get("status"),
        }
        members.append(
            {
                "user": ref,
                "roles": member.get("roles", []),
                "createdBy": member["createdBy"],
                "createdAt": member["createdAt"],
            }
        )
    offset, count = page_items(ws, ctx.params)
    return paged("members", sort_docs(members, [("user.username", 1)]), offset, count)
