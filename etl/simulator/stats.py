"""`statistics` snapshots computed from the workspace, as the server's statistics cron does."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.ids import random_id
from etl.simulator.store import Store

VERSION = "7.10.0"
ROOM_TOTALS = {
    "c": ("totalChannels", "totalChannelMessages"),
    "p": ("totalPrivateGroups", "totalPrivateGroupMessages"),
    "d": ("totalDirect", "totalDirectMessages"),
    "l": ("totalLivechat", "totalLivechatMessages"),
}


def _users(ws: Store) -> dict[str, Any]:
    people = [u for u in ws.users.values() if u.get("type") != "bot"]
    status = Counter(u.get("status", "offline") for u in people)
    active = sum(1 for u in people if u.get("active"))
    logins = [u["lastLogin"] for u in people if u.get("lastLogin")]
    return {
        "totalUsers": len(people),
        "activeUsers": active,
        "nonActiveUsers": len(people) - active,
        "onlineUsers": status["online"],
        "awayUsers": status["away"],
        "busyUsers": status["busy"],
        "offlineUsers": len(people) - status["online"] - status["away"] - status["busy"],
        "lastLogin": max(logins, default=None),
    }


def _rooms_and_messages(ws: Store) -> dict[str, Any]:
    rooms = Counter(room["t"] for room in ws.rooms.values())
    messages: Counter[str] = Counter()
    last = 0
    for msg in ws.messages.by_id.values():
        if msg.hidden:
            continue
        room = ws.rooms.get(msg.rid)
        messages[room["t"] if room else "?"] += 1
        last = max(last, msg.ts)
    out: dict[str, Any] = {
        "totalRooms": len(ws.rooms),
        "totalMessages": sum(messages.values()),
        "lastMessageSentAt": iso(last) if last else None,
    }
    for t, (room_key, message_key) in ROOM_TOTALS.items():
        out[room_key], out[message_key] = rooms[t], messages[t]
    return out


def compute_statistics(ws: Store) -> dict[str, Any]:
    """A new snapshot (what `statistics?refresh=true` saves and returns)."""
    now = ws.now()
    installed_at = min(
        (u["createdAt"] for u in ws.users.values() if u.get("createdAt")), default=None
    )
    rng = random.Random(f"statistics-{ws.seed}-{len(ws.statistics)}")
    doc: dict[str, Any] = {
        "_id": random_id(rng),
        "uniqueId": f"sim-{ws.seed}",
        "installedAt": installed_at,
        "version": VERSION,
        **_users(ws),
        **_rooms_and_messages(ws),
        "os": {"type": "Linux", "platform": "linux", "arch": "x64", "uptime": 3600},
        "process": {"nodeVersion": "v22.11.0", "pid": 1, "uptime": 3600.0},
        "deploy": {"method": "docker", "platform": "selfinstall"},
        "instanceCount": 1,
        "createdAt": iso(now),
        "_updatedAt": iso(now),
    }
    return doc


def list_view(doc: dict[str, Any]) -> dict[str, Any]:
    """statistics.list's documented example names the livechat totals `totalAll*`."""
    out = {k: v for k, v in doc.items() if k not in ("totalLivechat", "totalLivechatMessages")}
    out["totalAllLivechat"] = doc.get("totalLivechat")
    out["totalAllLivechatMessages"] = doc.get("totalLivechatMessages")
    return out
