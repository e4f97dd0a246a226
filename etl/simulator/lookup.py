"""Room lookups with each endpoint family's own access rule and error."""

from __future__ import annotations

from typing import Any

from etl.simulator.access import can_access_room
from etl.simulator.clock import parse_date
from etl.simulator.errors import failure, forbidden, invalid_params
from etl.simulator.ids import direct_room_id
from etl.simulator.routing import Ctx

NOT_FOUND_TEXT = {
    "c": 'The required "roomId" or "roomName" param provided does not match any channel',
    "p": 'The required "roomId" or "roomName" param provided does not match any group',
    "d": 'The required "roomId" or "username" param provided does not match any direct message',
}


def room_by_params(ctx: Ctx) -> dict[str, Any] | None:
    ws = ctx.ws
    rid = ctx.params.get("roomId")
    if rid:
        return ws.rooms.get(rid)
    name = ctx.params.get("roomName")
    if name:
        return next((r for r in ws.rooms.values() if r.get("name") == name), None)
    username = ctx.params.get("username")
    if username and username in ws.usernames:
        return ws.rooms.get(direct_room_id(ctx.uid, ws.usernames[username]))
    return None


def room_of_kind(ctx: Ctx, kind: str) -> dict[str, Any]:
    """`findChannelByIdOrName` / `findPrivateGroupByIdOrName` / `findDirectMessageRoom`."""
    if not (ctx.params.get("roomId") or ctx.params.get("roomName") or ctx.params.get("username")):
        raise failure(
            "error-room-param-not-provided", 'The parameter "roomId" or "roomName" is required'
        )
    room = room_by_params(ctx)
    if room is None or room["t"] != kind:
        raise failure("error-room-not-found", NOT_FOUND_TEXT[kind])
    if kind == "c":
        if not can_access_room(ctx.ws, ctx.uid, room):
            raise forbidden()
    elif kind == "p":
        # Private groups need a subscription: the lookup itself fails otherwise, even for admins.
        if not ctx.ws.is_subscribed(ctx.uid, room["_id"]):
            raise failure("error-room-not-found", NOT_FOUND_TEXT[kind])
    elif not can_access_room(ctx.ws, ctx.uid, room):
        raise failure("error-not-allowed", "Not allowed")
    return room


def iso_param(ctx: Ctx, name: str, *, required: bool) -> int | None:
    """Typed endpoints validate dates with ajv `format: iso-date-time`."""
    value = ctx.params.get(name)
    if value is None:
        if required:
            raise invalid_params(f"must have required property '{name}'")
        return None
    ms = parse_date(value)
    if ms is None:
        raise invalid_params(f'must match format "iso-date-time" ({name})')
    return ms


def date_param(ctx: Ctx, name: str, code: str, reason: str) -> int | None:
    """Untyped endpoints: `isNaN(Date.parse(x))` gives a coded 400."""
    value = ctx.params.get(name)
    if value is None:
        return None
    ms = parse_date(value)
    if ms is None:
        raise failure(code, reason)
    return ms


def ms_of(doc: dict[str, Any], key: str = "_updatedAt") -> int:
    return parse_date(doc[key]) or 0
