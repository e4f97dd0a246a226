"""Room, team and subscription documents for the generator."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.ids import direct_room_id, object_id, random_id


@dataclass(frozen=True)
class RoomMix:
    channels: int
    groups: int
    dms: int
    group_dms: int
    discussions: int
    teams: int  # each team has a main room and one team channel


def room_mix(total: int) -> RoomMix:
    teams = max(2, round(total * 0.02))
    discussions = max(1, round(total * 0.05))
    group_dms = max(1, round(total * 0.04))
    dms = max(3, round(total * 0.2))
    groups = max(3, round(total * 0.22))
    channels = max(3, total - 1 - 2 * teams - discussions - group_dms - dms - groups)
    return RoomMix(channels, groups, dms, group_dms, discussions, teams)


def owner_ref(user: dict[str, Any]) -> dict[str, Any]:
    return {"_id": user["_id"], "username": user["username"]}


def named_room(
    rid: str, t: str, name: str, owner: dict[str, Any], ts: int, **extra: object
) -> dict[str, Any]:
    doc = {
        "_id": rid,
        "t": t,
        "name": name,
        "fname": name,
        "u": owner_ref(owner),
        "ts": iso(ts),
        "_updatedAt": iso(ts),
        "msgs": 0,
        "usersCount": 0,
        "ro": False,
        "sysMes": True,
        "default": False,
        "customFields": {},
        "broadcast": False,
        "encrypted": False,
    }
    doc.update(extra)
    return doc


def direct_room(rng: random.Random, members: list[dict[str, Any]], ts: int) -> dict[str, Any]:
    """1:1 DMs get the sorted user ids joined; group DMs are inserted without `_id` (ObjectId)."""
    if len(members) == 2:
        rid = direct_room_id(members[0]["_id"], members[1]["_id"])
    else:
        rid = object_id(rng, ts // 1000)
    ordered = sorted(members, key=lambda u: u["username"])
    return {
        "_id": rid,
        "t": "d",
        "usernames": [u["username"] for u in ordered],
        "uids": [u["_id"] for u in ordered],
        "ts": iso(ts),
        "_updatedAt": iso(ts),
        "msgs": 0,
        "usersCount": len(members),
    }


def subscription(
    rng: random.Random, user: dict[str, Any], room: dict[str, Any], ts: int, owner: bool = False
) -> dict[str, Any]:
    if room["t"] == "d":
        others = [n for n in room["usernames"] if n != user["username"]] or [user["username"]]
        name = ", ".join(others)
        fname = name
    else:
        name, fname = room["name"], room.get("fname", room["name"])
    sub = {
        "_id": random_id(rng),
        "_updatedAt": iso(ts),
        "u": {"_id": user["_id"], "username": user["username"], "name": user.get("name")},
        "rid": room["_id"],
        "t": room["t"],
        "name": name,
        "fname": fname,
        "open": True,
        "alert": False,
        "unread": 0,
        "userMentions": 0,
        "groupMentions": 0,
        "ts": iso(ts),
        "ls": iso(ts),
    }
    if owner:
        sub["roles"] = ["owner"]
    for key in ("teamId", "teamMain", "prid", "archived"):
        if key in room:
            sub[key] = room[key]
    return sub


def team_doc(
    rng: random.Random, name: str, private: bool, room_id: str, owner: dict[str, Any], ts: int
) -> dict[str, Any]:
    return {
        "_id": random_id(rng),
        "name": name,
        "type": 1 if private else 0,
        "roomId": room_id,
        "createdBy": owner_ref(owner),
        "createdAt": iso(ts),
        "_updatedAt": iso(ts),
    }


def team_member(
    rng: random.Random, team: dict[str, Any], user: dict[str, Any], owner: dict[str, Any], ts: int
) -> dict[str, Any]:
    return {
        "_id": random_id(rng),
        "teamId": team["_id"],
        "userId": user["_id"],
        "roles": ["owner"] if user["_id"] == owner["_id"] else [],
        "createdBy": owner_ref(owner),
        "createdAt": iso(ts),
        "_updatedAt": iso(ts),
    }
