"""The endpoint catalogue, as data: which endpoint serves each resource and how it pages.

Everything here is read from the server's source (see docs/reference server-behaviour §1-§3); the
walkers and the sync orchestration only interpret these entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Paging = Literal["offset", "cursor", "delta", "unpaginated"]


@dataclass(frozen=True)
class Endpoint:
    """One REST read endpoint.

    `items_key` and `remove_key` are dotted paths into the response (`emojis.update`).
    `delta_param` is the incremental parameter (`updatedSince`), None for full scans.
    `count_zero` says whether `count=0` returns everything (endpoints using getPaginationItems on a
    stock server, API_Allow_Infinite_Count=true); the walkers fall back to pages if it does not.
    """

    name: str
    items_key: str
    paging: Paging
    delta_param: str | None = None
    remove_key: str | None = None
    permissions: tuple[str, ...] = ()
    sort: str | None = None
    count_zero: bool = False
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ResourceSpec:
    """How one resource is walked: `full` for the first load and full walks, `delta` after."""

    name: str
    table: str
    full: Endpoint
    delta: Endpoint | None = None


def _offset(name: str, key: str, sort: str | None = '{"_id":1}', **kw: object) -> Endpoint:
    return Endpoint(name, key, "offset", sort=sort, count_zero=True, **kw)  # type: ignore[arg-type]


def _delta(name: str, key: str, remove: str, **kw: object) -> Endpoint:
    return Endpoint(name, key, "delta", "updatedSince", remove, **kw)  # type: ignore[arg-type]


# Room enumeration. rooms.adminRooms has no _updatedAt (it cannot drive deltas, only complete the
# list); channels.list hides team channels the caller has not joined, even from admins; DMs have no
# name, so im.list.everyone's default {name:1} sort pages on an unstable tie: always sort by _id.
ROOMS_GET = _delta("rooms.get", "update", "remove")
ROOMS_GET_FULL = Endpoint("rooms.get", "update", "unpaginated")
ADMIN_ROOMS = _offset(
    "rooms.adminRooms",
    "rooms",
    permissions=("view-room-administration",),
    params={"types[]": ["c", "p", "d", "l", "discussions", "teams"]},
)
ROOM_LISTINGS: tuple[Endpoint, ...] = (
    _offset("channels.list", "channels", permissions=("view-c-room",)),
    _offset("groups.listAll", "groups", permissions=("view-room-administration",)),
    _offset("im.list.everyone", "ims", permissions=("view-room-administration",)),
)

# Messages. Cursor mode is a strict $gt over epoch-ms timestamps: overlap by 1 ms and dedupe.
# type=DELETED filters on _deletedAt but sorts on _updatedAt, so deletions come in one big page.
SYNC_MESSAGES = Endpoint("chat.syncMessages", "result.updated", "cursor")
SYNC_DELETED = Endpoint("chat.syncMessages", "result.deleted", "cursor")
DELETED_MESSAGES = _offset("chat.getDeletedMessages", "messages", sort=None)
# Fallback for servers without cursor mode (< 5.x): *.messages includes thread replies and system
# messages (unlike *.history); the explicit sort makes offset pages stable across ts ties.
ROOM_MESSAGES: dict[str, Endpoint] = {
    "c": _offset("channels.messages", "messages", sort='{"ts":1,"_id":1}'),
    "p": _offset("groups.messages", "messages", sort='{"ts":1,"_id":1}'),
    "d": _offset("im.messages", "messages", sort='{"ts":1,"_id":1}'),
}

THREADS_LIST = _offset("chat.getThreadsList", "threads", sort='{"_id":1}')
THREADS_SYNC = _delta("chat.syncThreadsList", "threads.update", "threads.remove")
THREAD_MESSAGES = _offset("chat.getThreadMessages", "messages", sort='{"ts":1,"_id":1}')
THREAD_MESSAGES_SYNC = _delta("chat.syncThreadMessages", "messages.update", "messages.remove")

MEMBERS: dict[str, Endpoint] = {
    "c": _offset("channels.members", "members", sort=None),
    "p": _offset("groups.members", "members", sort=None),
    "d": _offset("im.members", "members", sort=None),
}

# users.list has no updatedSince; with view-full-other-user-info it shows _updatedAt, so the walk
# goes newest first and stops at the watermark. Older servers reject count=0 there (#22082).
USERS_LIST = Endpoint(
    "users.list", "users", "offset", permissions=("view-d-room",), sort='{"_id":1}'
)
USERS_BY_UPDATE = Endpoint(
    "users.list",
    "users",
    "offset",
    permissions=("view-d-room", "view-full-other-user-info"),
    sort='{"_updatedAt":-1,"_id":1}',
)

RESOURCES: dict[str, ResourceSpec] = {
    "rooms": ResourceSpec("rooms", "rooms", ROOMS_GET_FULL, ROOMS_GET),
    "messages": ResourceSpec("messages", "messages", SYNC_MESSAGES, SYNC_MESSAGES),
    "threads": ResourceSpec("threads", "messages", THREADS_LIST, THREADS_SYNC),
    "users": ResourceSpec("users", "users", USERS_LIST, USERS_BY_UPDATE),
    # roles.sync without updatedSince returns empty arrays: first load with roles.list.
    "roles": ResourceSpec(
        "roles",
        "roles",
        Endpoint("roles.list", "roles", "unpaginated"),
        _delta("roles.sync", "roles.update", "roles.remove"),
    ),
    "permissions": ResourceSpec(
        "permissions",
        "permissions",
        Endpoint("permissions.listAll", "update", "unpaginated"),
        _delta("permissions.listAll", "update", "remove"),
    ),
    # subscriptions.get returns only the caller's subscriptions; there is no admin variant.
    "subscriptions": ResourceSpec(
        "subscriptions",
        "subscriptions",
        Endpoint("subscriptions.get", "update", "unpaginated"),
        _delta("subscriptions.get", "update", "remove"),
    ),
    "custom_emoji": ResourceSpec(
        "custom_emoji",
        "custom_emoji",
        _offset("emoji-custom.all", "emojis"),
        _delta("emoji-custom.list", "emojis.update", "emojis.remove"),
    ),
    "custom_sounds": ResourceSpec(
        "custom_sounds", "custom_sounds", _offset("custom-sounds.list", "sounds")
    ),
    "teams": ResourceSpec(
        "teams",
        "teams",
        _offset("teams.listAll", "teams", sort=None, permissions=("view-all-teams",)),
    ),
    "settings": ResourceSpec("settings", "settings", _offset("settings.public", "settings")),
    "members": ResourceSpec("members", "room_members", MEMBERS["c"]),
}

# What a token without the admin permission can still list: its own share of the resource.
FALLBACKS: dict[str, Endpoint] = {
    "teams": _offset("teams.list", "teams", sort=None),
}

# One cheap read per resource, for `rcetl check`: does this token reach the endpoint at all?
PROBES: dict[str, tuple[str, dict[str, object]]] = {
    "rooms": ("rooms.get", {"updatedSince": "2100-01-01T00:00:00.000Z"}),
    "messages": ("rooms.get", {"updatedSince": "2100-01-01T00:00:00.000Z"}),
    "threads": ("rooms.get", {"updatedSince": "2100-01-01T00:00:00.000Z"}),
    "users": ("users.list", {"count": 1}),
    "roles": ("roles.list", {}),
    "permissions": ("permissions.listAll", {"updatedSince": "2100-01-01T00:00:00.000Z"}),
    "subscriptions": ("subscriptions.get", {"updatedSince": "2100-01-01T00:00:00.000Z"}),
    "custom_emoji": ("emoji-custom.list", {"updatedSince": "2100-01-01T00:00:00.000Z"}),
    "custom_sounds": ("custom-sounds.list", {"count": 1}),
    "teams": ("teams.listAll", {"count": 1}),
    "settings": ("settings.public", {"count": 1}),
    "members": ("rooms.get", {"updatedSince": "2100-01-01T00:00:00.000Z"}),
}


def items_at(body: dict[str, object], dotted: str) -> list[dict[str, object]]:
    """The list at a dotted path of a response (`emojis.update`); [] when absent or null."""
    node: object = body
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return []
        node = node.get(part)
    return node if isinstance(node, list) else []
