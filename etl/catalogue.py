"""The one registry of resources: for each, the endpoints that serve it (`etl.endpoints`), the
table it fills, its probe and its sync step by name, in the order a sync runs them.
"""

from __future__ import annotations

from etl.endpoints import (
    AGENTS_PERMISSIONS,
    DEPARTMENT_AGENTS,
    FILES,
    INTEGRATION_HISTORY,
    INTEGRATIONS_LIST,
    LIVECHAT_DEPARTMENTS,
    LIVECHAT_ROOMS,
    LIVECHAT_ROOMS_BY_UPDATE,
    LIVECHAT_VISITOR,
    MANAGERS_PERMISSIONS,
    MEMBERS,
    OFFICE_HOURS,
    ROOMS_GET,
    ROOMS_GET_FULL,
    STATISTICS,
    SYNC_MESSAGES,
    THREADS_LIST,
    THREADS_SYNC,
    USERS_BY_UPDATE,
    USERS_LIST,
    Endpoint,
    Probe,
    ResourceSpec,
    delta_endpoint,
    offset_endpoint,
)

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
        _resource("settings", offset_endpoint("settings.public", "settings"), step="scan_table"),
        # roles.sync without updatedSince returns empty arrays: first load with roles.list.
        _resource(
            "roles",
            Endpoint("roles.list", "roles", "unpaginated"),
            delta_endpoint("roles.sync", "roles.update", "roles.remove"),
            step="delta_table",
            probe=Probe("roles.list", {}),
        ),
        _resource(
            "permissions",
            Endpoint("permissions.listAll", "update", "unpaginated"),
            delta_endpoint("permissions.listAll", "update", "remove"),
            step="delta_table",
            probe=Probe("permissions.listAll", _FUTURE),
        ),
        _resource(
            "custom_emoji",
            offset_endpoint("emoji-custom.all", "emojis"),
            delta_endpoint("emoji-custom.list", "emojis.update", "emojis.remove"),
            step="delta_table",
            probe=Probe("emoji-custom.list", _FUTURE),
        ),
        _resource(
            "custom_sounds", offset_endpoint("custom-sounds.list", "sounds"), step="scan_table"
        ),
        _resource(
            "custom_user_statuses",
            offset_endpoint("custom-user-status.list", "statuses", sort='{"name":1,"_id":1}'),
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
            offset_endpoint("teams.listAll", "teams", sort=None, permissions=("view-all-teams",)),
            step="scan_table",
        ),
        _resource("rooms", ROOMS_GET_FULL, ROOMS_GET, probe=_ROOMS_PROBE),
        # subscriptions.get returns only the caller's subscriptions; there is no admin variant.
        _resource(
            "subscriptions",
            Endpoint("subscriptions.get", "update", "unpaginated"),
            delta_endpoint("subscriptions.get", "update", "remove"),
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
            offset_endpoint("livechat/users/agent", "users", permissions=AGENTS_PERMISSIONS),
            step="scan_table",
        ),
        _resource(
            "livechat_managers",
            offset_endpoint("livechat/users/manager", "users", permissions=MANAGERS_PERMISSIONS),
            step="scan_table",
        ),
        _resource(
            "livechat_custom_fields",
            offset_endpoint("livechat/custom-fields", "customFields", permissions=("view-l-room",)),
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
            offset_endpoint(
                "livechat/inquiries.list", "inquiries", permissions=("view-livechat-manager",)
            ),
            step="scan_table",
        ),
        _resource(
            "livechat_triggers",
            offset_endpoint(
                "livechat/triggers", "triggers", permissions=("view-livechat-manager",)
            ),
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
    "teams": offset_endpoint("teams.list", "teams", sort=None),
}

# One cheap read per resource, for `rcetl check`: does this token reach the endpoint at all?
PROBES: dict[str, tuple[str, dict[str, object]]] = {
    name: (spec.probe.endpoint, dict(spec.probe.params)) for name, spec in RESOURCES.items()
}
PER_ROOM: tuple[str, ...] = tuple(name for name, spec in RESOURCES.items() if spec.per_room)
