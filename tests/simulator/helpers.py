"""Small helpers for simulator tests: authenticated httpx clients and ground-truth lookups."""

from __future__ import annotations

import re

import httpx

from etl.simulator import SimServer
from etl.simulator.workspace import Workspace

ISO_MS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def client(server: SimServer, who: str = "admin") -> httpx.Client:
    cred = server.ws.credentials[who]
    headers = {"X-User-Id": cred["user_id"], "X-Auth-Token": cred["token"]}
    return httpx.Client(base_url=f"{server.url}/api/v1/", headers=headers, timeout=10)


def room_of(ws: Workspace, predicate) -> dict:
    return next(r for r in ws.rooms.values() if predicate(r))


def unreadable_group(ws: Workspace, who: str = "admin") -> dict:
    uid = ws.credentials[who]["user_id"]
    return room_of(
        ws, lambda r: r["t"] == "p" and "prid" not in r and not ws.is_subscribed(uid, r["_id"])
    )


def unreadable_dm(ws: Workspace, who: str = "admin") -> dict:
    uid = ws.credentials[who]["user_id"]
    return room_of(ws, lambda r: r["t"] == "d" and not ws.is_subscribed(uid, r["_id"]))


def sync_all(api: httpx.Client, rid: str, count: int = 1000) -> list[dict]:
    """Walks `chat.syncMessages` cursor pages from the beginning."""
    out, nxt = [], "0"
    while nxt is not None:
        params = {"roomId": rid, "type": "UPDATED", "next": nxt, "count": count}
        result = api.get("chat.syncMessages", params=params).json()["result"]
        out.extend(result["updated"])
        nxt = result["cursor"]["next"]
    return out
