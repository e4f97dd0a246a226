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

# Messages. Cursor mode (type=UPDATED|DELETED, next=) is a strict $gt over epoch-ms timestamps:
# overlap by 1 ms and dedupe. type=DELETED filters on _deletedAt but sorts on _updatedAt, so
# deletions come in one big page. Older servers answer lastUpdate mode (the same endpoint).
SYNC_MESSAGES = Endpoint(
    "chat.syncMessages", "result.updated", "cursor", remove_key="result.deleted"
)
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

MEMBERS: dict[str, Endpoint] = {
    "c": _offset("channels.members", "members", sort=None),
    "p": _offset("groups.members", "members", sort=None),
    "d": _offset("im.members", "members", sort=None),
}

# Uploads: no updatedSince, and the default sort {name: 1} ties on equal names, which move between
# offset pages: always sort by _id. Hidden uploads (KeepHistory deletions) are not listed.
FILES: dict[str, Endpoint] = {
    "c": _offset("channels.files", "files"),
    "p": _offset("groups.files", "files"),
    "d": _offset("im.files", "files"),
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
INTEGRATIONS_LIST = _offset("integrations.list", "integrations", permissions=INTEGRATION_READ)
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
LIVECHAT_ROOMS = _offset("livechat/rooms", "rooms", permissions=("view-livechat-rooms",))
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
LIVECHAT_DEPARTMENTS = _offset(
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
_AGENTS_PERMISSIONS = ("manage-livechat-agents", "transfer-livechat-guest")
_MANAGERS_PERMISSIONS = ("manage-livechat-agents", "view-livechat-manager")

# Probes ask for nothing newer than this: an answer proves access and costs almost nothing.
_FUTURE: dict[str, object] = {"updatedSince": "2100-01-01T00:00:00.000Z"}
_ROOMS_PROBE = Probe("rooms.get", _FUTURE)


def _resource(
    name: str, full: Endpoint, delta: Endpoint | None = None, **kw: object
) -> ResourceSpec:
    spec = {"table": name, "step": name, "probe": Probe(full.name, {"count": 1}), **kw}
    return ResourceSpec(name, full=full, delta=delta, **spec)  # type: ignore[arg-type]


# The one registry of resources, in the order a sync runs them (what each needs runs first).
RESOURCES: dict[str, ResourceSpec] = {
    spec.name: spec
    for spec in (
        _resource("settings", _offset("settings.public", "settings"), step="scan_table"),
        # roles.sync without updatedSince returns empty arrays: first load with roles.list.
        _resource(
            "roles",
            Endpoint("roles.list", "roles", "unpaginated"),
            _delta("roles.sync", "roles.update", "roles.remove"),
            step="delta_table",
            probe=Probe("roles.list", {}),
        ),
        _resource(
            "permissions",
            Endpoint("permissions.listAll", "update", "unpaginated"),
            _delta("permissions.listAll", "update", "remove"),
            step="delta_table",
            probe=Probe("permissions.listAll", _FUTURE),
        ),
        _resource(
            "custom_emoji",
            _offset("emoji-custom.all", "emojis"),
            _delta("emoji-custom.list", "emojis.update", "emojis.remove"),
            step="delta_table",
            probe=Probe("emoji-custom.list", _FUTURE),
        ),
        _resource("custom_sounds", _offset("custom-sounds.list", "sounds"), step="scan_table"),
        _resource(
            "custom_user_statuses",
            _offset("custom-user-status.list", "statuses", sort='{"name":1,"_id":1}'),
            step="scan_table",
        ),
        _resource("integrations", INTEGRATIONS_LIST),
        # An unknown id answers an empty page (with the permission) or 403 (without).
        _resource(
            "integration_history",
            INTEGRATION_HISTORY,
            probe=Probe(INTEGRATION_HISTORY.name, {"id": "rcetl-probe", "count": 1}),
        ),
        _resource("users", USERS_LIST, USERS_BY_UPDATE),
        _resource(
            "teams",
            _offset("teams.listAll", "teams", sort=None, permissions=("view-all-teams",)),
            step="scan_table",
        ),
        _resource("rooms", ROOMS_GET_FULL, ROOMS_GET, probe=_ROOMS_PROBE),
        # subscriptions.get returns only the caller's subscriptions; there is no admin variant.
        _resource(
            "subscriptions",
            Endpoint("subscriptions.get", "update", "unpaginated"),
            _delta("subscriptions.get", "update", "remove"),
            step="delta_table",
            probe=Probe("subscriptions.get", _FUTURE),
        ),
        _resource("messages", SYNC_MESSAGES, SYNC_MESSAGES, per_room=True, probe=_ROOMS_PROBE),
        _resource(
            "threads",
            THREADS_LIST,
            THREADS_SYNC,
            table="messages",
            per_room=True,
            probe=_ROOMS_PROBE,
        ),
        # after messages: the message walk finds the unreadable rooms, which members then skips
        _resource(
            "members",
            MEMBERS["c"],
            table="room_members",
            per_room=True,
            probe=_ROOMS_PROBE,
        ),
        # *.files follow each room's read access: the rooms probe says what they can reach
        _resource("uploads", FILES["c"], per_room=True, probe=_ROOMS_PROBE),
        # Omnichannel. Transfers are messages (`livechat_transfers`, a child of messages).
        _resource("livechat_departments", LIVECHAT_DEPARTMENTS, step="scan_table"),
        # reads the departments stored just before; re-read only those whose document changed
        _resource(
            "livechat_department_agents",
            DEPARTMENT_AGENTS,
            probe=Probe(LIVECHAT_DEPARTMENTS.name, {"count": 1}),
        ),
        _resource(
            "livechat_agents",
            _offset("livechat/users/agent", "users", permissions=_AGENTS_PERMISSIONS),
            step="scan_table",
        ),
        _resource(
            "livechat_managers",
            _offset("livechat/users/manager", "users", permissions=_MANAGERS_PERMISSIONS),
            step="scan_table",
        ),
        _resource(
            "livechat_custom_fields",
            _offset("livechat/custom-fields", "customFields", permissions=("view-l-room",)),
            step="scan_table",
        ),
        _resource("livechat_rooms", LIVECHAT_ROOMS, LIVECHAT_ROOMS_BY_UPDATE, step="newest_first"),
        # the visitors the stored chats reference; custom-fields needs the same view-l-room
        _resource(
            "livechat_visitors",
            LIVECHAT_VISITOR,
            probe=Probe("livechat/custom-fields", {"count": 1}),
        ),
        _resource(
            "livechat_inquiries",
            _offset("livechat/inquiries.list", "inquiries", permissions=("view-livechat-manager",)),
            step="scan_table",
        ),
        _resource(
            "livechat_triggers",
            _offset("livechat/triggers", "triggers", permissions=("view-livechat-manager",)),
            step="scan_table",
        ),
        _resource(
            "livechat_office_hours",
            OFFICE_HOURS,
            step="optional_scan",
            probe=Probe(OFFICE_HOURS.name),
            optional=True,
        ),
        # last: the snapshot a run takes describes the server as the run found it
        _resource("server_statistics", STATISTICS, probe=Probe(STATISTICS.name, {})),
    )
}

# What a token without the admin permission can still list: its own share of the resource.
FALLBACKS: dict[str, Endpoint] = {
    "teams": _offset("teams.list", "teams", sort=None),
}

# One cheap read per resource, for `rcetl check`: does this token reach the endpoint at all?
PROBES: dict[str, tuple[str, dict[str, object]]] = {
    name: (spec.probe.endpoint, dict(spec.probe.params)) for name, spec in RESOURCES.items()
}
PER_ROOM: tuple[str, ...] = tuple(name for name, spec in RESOURCES.items() if spec.per_room)


def items_at(body: dict[str, object], dotted: str) -> list[dict[str, object]]:
    """The list at a dotted path of a response (`emojis.update`); [] when absent or null."""
    node: object = body
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return []
        node = node.get(part)
    return node if isinstance(node, list) else []
