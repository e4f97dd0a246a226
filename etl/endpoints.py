"""The server's read endpoints, as data: which endpoint serves what and how it pages.

Everything here is read from the server's source (see docs/reference server-behaviour §1-§4); the
walkers only interpret these entries, and `etl.catalogue` builds the one registry of resources
from them.
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
class Probe:
    """One cheap read that proves a token reaches a resource (`rcetl check`)."""

    endpoint: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ResourceSpec:
    """Everything about one resource: `full` for the first load and full walks, `delta` after,
    the table it fills, its probe, and its sync step by name (resolved in `etl.sync.engine`, so
    the catalogue imports nothing of the sync). `per_room` streams walk each room on its own."""

    name: str
    table: str
    full: Endpoint
    step: str
    probe: Probe
    delta: Endpoint | None = None
    per_room: bool = False
    # a route newer servers dropped: its 404/400 means "not available here", not a failure
    optional: bool = False


def offset_endpoint(name: str, key: str, sort: str | None = '{"_id":1}', **kw: object) -> Endpoint:
    return Endpoint(name, key, "offset", sort=sort, count_zero=True, **kw)  # type: ignore[arg-type]


def delta_endpoint(name: str, key: str, remove: str, **kw: object) -> Endpoint:
    return Endpoint(name, key, "delta", "updatedSince", remove, **kw)  # type: ignore[arg-type]


# Room enumeration. rooms.adminRooms has no _updatedAt (it cannot drive deltas, only complete the
# list); channels.list hides team channels the caller has not joined, even from admins; DMs have no
# name, so im.list.everyone's default {name:1} sort pages on an unstable tie: always sort by _id.
ROOMS_GET = delta_endpoint("rooms.get", "update", "remove")
ROOMS_GET_FULL = Endpoint("rooms.get", "update", "unpaginated")
ADMIN_ROOMS = offset_endpoint(
    "rooms.adminRooms",
    "rooms",
    permissions=("view-room-administration",),
    params={"types[]": ["c", "p", "d", "l", "discussions", "teams"]},
)
ROOM_LISTINGS: tuple[Endpoint, ...] = (
    offset_endpoint("channels.list", "channels", permissions=("view-c-room",)),
    offset_endpoint("groups.listAll", "groups", permissions=("view-room-administration",)),
    offset_endpoint("im.list.everyone", "ims", permissions=("view-room-administration",)),
)

# Messages. Cursor mode (type=UPDATED|DELETED, next=) is a strict $gt over epoch-ms timestamps:
# overlap by 1 ms and dedupe. type=DELETED filters on _deletedAt but sorts on _updatedAt, so
# deletions come in one big page. Older servers answer lastUpdate mode (the same endpoint).
SYNC_MESSAGES = Endpoint(
    "chat.syncMessages", "result.updated", "cursor", remove_key="result.deleted"
)
DELETED_MESSAGES = offset_endpoint("chat.getDeletedMessages", "messages", sort=None)
# Fallback for servers without cursor mode (< 5.x): *.messages includes thread replies and system
# messages (unlike *.history); the explicit sort makes offset pages stable across ts ties.
ROOM_MESSAGES: dict[str, Endpoint] = {
    "c": offset_endpoint("channels.messages", "messages", sort='{"ts":1,"_id":1}'),
    "p": offset_endpoint("groups.messages", "messages", sort='{"ts":1,"_id":1}'),
    "d": offset_endpoint("im.messages", "messages", sort='{"ts":1,"_id":1}'),
}

THREADS_LIST = offset_endpoint("chat.getThreadsList", "threads", sort='{"_id":1}')
THREADS_SYNC = delta_endpoint("chat.syncThreadsList", "threads.update", "threads.remove")

MEMBERS: dict[str, Endpoint] = {
    "c": offset_endpoint("channels.members", "members", sort=None),
    "p": offset_endpoint("groups.members", "members", sort=None),
    "d": offset_endpoint("im.members", "members", sort=None),
}

# Uploads: no updatedSince, and the default sort {name: 1} ties on equal names, which move between
# offset pages: always sort by _id. Hidden uploads (KeepHistory deletions) are not listed.
FILES: dict[str, Endpoint] = {
    "c": offset_endpoint("channels.files", "files"),
    "p": offset_endpoint("groups.files", "files"),
    "d": offset_endpoint("im.files", "files"),
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

# Integrations (api-reference §3.12, server-behaviour §4). Their paged envelopes say `items` where
# others say `count` (current servers send both); the walkers page on the items received and
# `total`, never on either key. integrations.list has no `ts` and no delta: a full listing (a few
# dozen documents) diffs ids. History is newest first by `_updatedAt`: walks stop at the watermark.
INTEGRATION_READ = (
    "manage-incoming-integrations",
    "manage-own-incoming-integrations",
    "manage-outgoing-integrations",
    "manage-own-outgoing-integrations",
)
INTEGRATIONS_LIST = offset_endpoint(
    "integrations.list", "integrations", permissions=INTEGRATION_READ
)
INTEGRATION_HISTORY = Endpoint(
    "integrations.history",
    "history",
    "offset",
    permissions=INTEGRATION_READ[2:],
    sort='{"_updatedAt":-1,"_id":1}',
)
# `statistics` answers the newest snapshot at top level (`refresh=true` computes a new one first).
# Without view-statistics a real server answers 400 error-not-allowed, not 403.
STATISTICS = Endpoint("statistics", "", "unpaginated", permissions=("view-statistics",))
# Omnichannel (livechat), server-behaviour §4: every route needs a livechat permission, and a
# token without it gets a 403 (the resource is skipped). livechat/rooms has no updatedSince but
# honours `sort`: newest `_updatedAt` first, stopped at the watermark, like users.list.
LIVECHAT_ROOMS = offset_endpoint("livechat/rooms", "rooms", permissions=("view-livechat-rooms",))
LIVECHAT_ROOMS_BY_UPDATE = Endpoint(
    "livechat/rooms",
    "rooms",
    "offset",
    permissions=("view-livechat-rooms",),
    sort='{"_updatedAt":-1,"_id":1}',
)
# No list of visitors exists: one visitors.info per visitor id the chats reference.
LIVECHAT_VISITOR = Endpoint(
    "livechat/visitors.info", "visitor", "unpaginated", permissions=("view-l-room",)
)
LIVECHAT_DEPARTMENTS = offset_endpoint(
    "livechat/department", "departments", permissions=("view-livechat-departments",)
)
# `agents` only with view-livechat-departments; `department: null` for an unknown id.
DEPARTMENT_AGENTS = Endpoint(
    "livechat/department/{_id}", "agents", "unpaginated", permissions=("view-livechat-departments",)
)
# office-hours is deprecated (business hours replaced it): newer servers answer 404 or 400.
OFFICE_HOURS = Endpoint(
    "livechat/office-hours",
    "officeHours",
    "unpaginated",
    permissions=("view-livechat-business-hours",),
)
AGENTS_PERMISSIONS = ("manage-livechat-agents", "transfer-livechat-guest")
MANAGERS_PERMISSIONS = ("manage-livechat-agents", "view-livechat-manager")


def items_at(body: dict[str, object], dotted: str) -> list[dict[str, object]]:
    """The list at a dotted path of a response (`emojis.update`); [] when absent or null."""
    node: object = body
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return []
        node = node.get(part)
    return node if isinstance(node, list) else []
