"""Omnichannel read routes, with the envelopes, default sorts and permission errors of
server-behaviour.md §4 (`app/livechat/imports/server/rest/*.ts`)."""

from __future__ import annotations

from typing import Any

from etl.simulator.access import has_permission
from etl.simulator.errors import ApiError, failure, forbidden, not_found
from etl.simulator.pagination import page_items, paged, parse_sort, sort_docs
from etl.simulator.routes_rooms import public_room
from etl.simulator.routing import Ctx, Registry

routes = Registry()
USER_FIELDS = ("_id", "username", "name", "status", "statusLivechat", "emails", "livechat")
INQUIRY_FIELDS = ("_id", "rid", "name", "ts", "status", "department")


def permission_error() -> ApiError:
    """`permissionsRequired` on the route: the long form, 403."""
    text = "User does not have the permissions required for this action [error-unauthorized]"
    return ApiError(403, {"success": False, "error": text})


def _require_any(ctx: Ctx, *permissions: str) -> None:
    if not any(has_permission(ctx.ws, ctx.uid, p) for p in permissions):
        raise permission_error()


def _page(ctx: Ctx, key: str, docs: list[dict[str, Any]], sort: str) -> dict[str, Any]:
    offset, count = page_items(ctx.ws, ctx.params)
    spec = parse_sort(ctx.params, [(sort, 1)] if sort != "ts" else [("ts", -1)])
    return paged(key, sort_docs(docs, spec), offset, count)


@routes.get("livechat/rooms")
def livechat_rooms(ctx: Ctx) -> dict[str, Any]:
    """`view-livechat-rooms`, or `view-l-room` when asking for one's own chats; else 403."""
    ws, p = ctx.ws, ctx.params
    agents = ctx.multi.get("agents[]", []) + ctx.multi.get("agents", [])
    own = agents == [ctx.uid] and has_permission(ws, ctx.uid, "view-l-room")
    if not own and not has_permission(ws, ctx.uid, "view-livechat-rooms"):
        raise forbidden()
    rooms = []
    for room in ws.rooms.values():
        if room["t"] != "l":
            continue
        if agents and (room.get("servedBy") or {}).get("_id") not in agents:
            continue
        if p.get("departmentId") and room.get("departmentId") != p["departmentId"]:
            continue
        if p.get("open") in ("true", "false") and bool(room.get("open")) != (p["open"] == "true"):
            continue
        doc = public_room(room)
        dep = ws.livechat.departments.get(room.get("departmentId", ""))
        if dep is not None:
            doc["department"] = {"_id": dep["_id"], "name": dep["name"]}
        rooms.append(doc)
    return _page(ctx, "rooms", rooms, "ts")


@routes.get("livechat/department")
def departments(ctx: Ctx) -> dict[str, Any]:
    _require_any(ctx, "view-livechat-departments", "view-l-room")
    live = [d for d in ctx.ws.livechat.departments.values() if not d.get("archived")]
    return _page(ctx, "departments", live, "name")


@routes.get("livechat/department/:_id")
def department(ctx: Ctx) -> dict[str, Any]:
    _require_any(ctx, "view-livechat-departments", "view-l-room")
    lc = ctx.ws.livechat
    dep = lc.departments.get(ctx.params[":_id"])
    body: dict[str, Any] = {"department": dep}
    if has_permission(ctx.ws, ctx.uid, "view-livechat-departments"):
        body["agents"] = lc.agents_of(dep["_id"]) if dep is not None else []
    return body


def _users(ctx: Ctx, role: str) -> dict[str, Any]:
    ws = ctx.ws
    users = []
    for user in ws.users.values():
        if role in user.get("roles", []):
            doc = {k: user[k] for k in USER_FIELDS if k in user}
            if role == "livechat-agent":
                doc["departments"] = sorted(
                    a["departmentId"]
                    for a in ws.livechat.department_agents.values()
                    if a["agentId"] == user["_id"]
                )
            users.append(doc)
    return _page(ctx, "users", users, "name")


@routes.get("livechat/users/agent")
def agents(ctx: Ctx) -> dict[str, Any]:
    _require_any(ctx, "manage-livechat-agents")
    _require_any(ctx, "transfer-livechat-guest", "edit-omnichannel-contact")
    return _users(ctx, "livechat-agent")


@routes.get("livechat/users/manager")
def managers(ctx: Ctx) -> dict[str, Any]:
    _require_any(ctx, "manage-livechat-agents")
    _require_any(ctx, "view-livechat-manager")
    return _users(ctx, "livechat-manager")


@routes.get("livechat/inquiries.list")
def inquiries(ctx: Ctx) -> dict[str, Any]:
    """Queued inquiries only: taken ones are not listed."""
    _require_any(ctx, "view-livechat-manager")
    queued = [
        {k: i[k] for k in INQUIRY_FIELDS if k in i}
        for i in ctx.ws.livechat.inquiries.values()
        if i["status"] == "queued"
    ]
    return _page(ctx, "inquiries", queued, "ts")


@routes.get("livechat/visitors.info")
def visitor_info(ctx: Ctx) -> dict[str, Any]:
    _require_any(ctx, "view-l-room")
    visitor = ctx.ws.livechat.visitors.get(ctx.require("visitorId"))
    if visitor is None:
        raise failure("visitor-not-found", "visitor-not-found")
    return {"visitor": visitor}


@routes.get("livechat/custom-fields")
def custom_fields(ctx: Ctx) -> dict[str, Any]:
    _require_any(ctx, "view-l-room")
    return _page(ctx, "customFields", list(ctx.ws.livechat.custom_fields.values()), "label")


@routes.get("livechat/triggers")
def triggers(ctx: Ctx) -> dict[str, Any]:
    _require_any(ctx, "view-livechat-manager")
    return _page(ctx, "triggers", list(ctx.ws.livechat.triggers.values()), "name")


@routes.get("livechat/office-hours")
def office_hours(ctx: Ctx) -> dict[str, Any]:
    """Deprecated (business hours replaced it): a server that dropped it answers 404."""
    if ctx.ws.livechat.office_hours_removed:
        raise not_found()
    _require_any(ctx, "view-livechat-business-hours")
    return {"officeHours": list(ctx.ws.livechat.office_hours.values())}
