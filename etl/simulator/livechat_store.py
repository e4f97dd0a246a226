"""Omnichannel collections of a simulated server (livechat rooms themselves live in `rooms`)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

Docs = dict[str, dict[str, Any]]

# Default roles per permission (`upsertPermissions.ts`), the omnichannel ones server-behaviour §4
# names; `admin` holds them all.
LIVECHAT_PERMISSIONS: dict[str, list[str]] = {
    "view-livechat-rooms": ["livechat-manager", "livechat-monitor", "admin"],
    "view-l-room": ["livechat-agent", "livechat-manager", "livechat-monitor", "admin"],
    "view-livechat-departments": ["livechat-manager", "livechat-monitor", "admin"],
    "manage-livechat-agents": ["livechat-manager", "admin"],
    "transfer-livechat-guest": ["livechat-manager", "livechat-agent", "admin"],
    "edit-omnichannel-contact": ["livechat-manager", "livechat-agent", "admin"],
    "view-livechat-manager": ["livechat-manager", "livechat-monitor", "admin"],
    "view-livechat-business-hours": ["livechat-manager", "livechat-monitor", "admin"],
}


@dataclass
class LivechatData:
    visitors: Docs = field(default_factory=dict)
    departments: Docs = field(default_factory=dict)
    department_agents: Docs = field(default_factory=dict)  # link id -> link
    custom_fields: Docs = field(default_factory=dict)
    inquiries: Docs = field(default_factory=dict)  # every inquiry; the route lists queued ones
    triggers: Docs = field(default_factory=dict)
    office_hours: Docs = field(default_factory=dict)
    # a server where livechat/office-hours no longer exists (deprecated): 404
    office_hours_removed: bool = False

    def agents_of(self, department_id: str) -> list[dict[str, Any]]:
        return [a for a in self.department_agents.values() if a["departmentId"] == department_id]

    def truth(self, rooms: Docs, users: Docs) -> dict[str, Docs]:
        """What a synced database should hold per omnichannel table (copies)."""
        chats = {k: r for k, r in rooms.items() if r["t"] == "l"}
        referenced = {r["v"]["_id"] for r in chats.values()}
        tables = {
            "livechat_rooms": chats,
            "livechat_visitors": {k: v for k, v in self.visitors.items() if k in referenced},
            "livechat_departments": self.departments,
            "livechat_department_agents": self.department_agents,
            "livechat_agents": _with_role(users, "livechat-agent"),
            "livechat_managers": _with_role(users, "livechat-manager"),
            "livechat_custom_fields": self.custom_fields,
            "livechat_inquiries": {
                k: i for k, i in self.inquiries.items() if i["status"] == "queued"
            },
            "livechat_triggers": self.triggers,
            "livechat_office_hours": {} if self.office_hours_removed else self.office_hours,
        }
        return copy.deepcopy(tables)


def _with_role(users: Docs, role: str) -> Docs:
    return {k: u for k, u in users.items() if role in u.get("roles", [])}
