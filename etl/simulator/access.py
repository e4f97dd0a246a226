"""Permissions and room visibility, as `canAccessRoom`/`hasPermission` decide them."""

from __future__ import annotations

from typing import Any

from etl.simulator.store import Store

# `limitedUserFieldsToExclude` (api.ts): what a caller without `view-full-other-user-info` loses.
LIMITED_USER_FIELDS: tuple[str, ...] = (
    "avatarOrigin",
    "emails",
    "phone",
    "statusConnection",
    "createdAt",
    "lastLogin",
    "services",
    "requirePasswordChange",
    "requirePasswordChangeReason",
    "roles",
    "statusDefault",
    "_updatedAt",
    "settings",
    "inviteToken",
)
FULL_USER_FIELDS_EXCLUDED: tuple[str, ...] = ("services", "inviteToken")


def user_roles(ws: Store, uid: str) -> list[str]:
    user = ws.users.get(uid)
    return user.get("roles", []) if user else []


def has_permission(ws: Store, uid: str, permission: str) -> bool:
    doc = ws.permissions.get(permission)
    if doc is None:
        return False
    granted = doc["roles"]
    return any(role in granted for role in user_roles(ws, uid))


def _team_allows(ws: Store, uid: str, room: dict[str, Any]) -> bool:
    """A public room inside a private team needs team membership."""
    team = ws.teams.get(room.get("teamId", ""))
    if team is None or team.get("type") != 1:
        return True
    return uid in ws.team_members.get(team["_id"], {})


def can_access_room(ws: Store, uid: str, room: dict[str, Any], depth: int = 0) -> bool:
    if room["t"] == "l":  # omnichannel: the livechat permission, or the agent serving it
        served = (room.get("servedBy") or {}).get("_id")
        return has_permission(ws, uid, "view-livechat-rooms") or (
            served == uid and has_permission(ws, uid, "view-l-room")
        )
    if room["t"] == "c" and has_permission(ws, uid, "view-c-room") and _team_allows(ws, uid, room):
        return True
    if ws.is_subscribed(uid, room["_id"]):
        return True
    parent = ws.rooms.get(room.get("prid", ""))
    return parent is not None and depth < 5 and can_access_room(ws, uid, parent, depth + 1)


def user_view(
    ws: Store, caller: str, user: dict[str, Any], self_full: bool = True
) -> dict[str, Any]:
    """A user document as `users.list` (self_full=False) or `users.info` shows it to `caller`."""
    if (self_full and caller == user["_id"]) or has_permission(
        ws, caller, "view-full-other-user-info"
    ):
        excluded = FULL_USER_FIELDS_EXCLUDED
    else:
        excluded = LIMITED_USER_FIELDS
    return {k: v for k, v in user.items() if k not in excluded}
