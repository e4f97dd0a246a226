"""Rooms as the index and the room pages show them: title, kind, counts, date range, links."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from etl.export.html.layout import href, room_index_path
from etl.export.html.queries import RoomMonth
from etl.export.html.views import utc_text

KINDS = (
    ("teams", "Teams"),
    ("channels", "Channels"),
    ("groups", "Private groups"),
    ("discussions", "Discussions"),
    ("dms", "Direct messages"),
    ("other", "Other rooms"),
)
KIND_TITLES = dict(KINDS)


def kind_of(room: dict[str, Any]) -> str:
    if room.get("prid"):
        return "discussions"
    if room.get("team_main"):
        return "teams"
    return {"c": "channels", "p": "groups", "d": "dms"}.get(room.get("t") or "", "other")


def title_of(room: dict[str, Any]) -> str:
    if room.get("t") == "d" and not room.get("fname"):
        usernames = (room.get("raw") or {}).get("usernames") or []
        if usernames:
            return ", ".join(f"@{u}" for u in usernames)
    title: str = room.get("fname") or room.get("name") or room["id"]
    return title


def describe_rooms(
    rows: list[dict[str, Any]], signatures: dict[RoomMonth, list[Any]]
) -> dict[str, dict[str, Any]]:
    """Room id -> what the pages show; rooms known only from their messages are kept too."""
    by_id = {r["id"]: r for r in rows}
    for rid, _ in signatures:
        by_id.setdefault(rid, {"id": rid, "name": rid, "raw": {}})
    stats: dict[str, list[Any]] = {}
    for (rid, _), (count, _, first, last) in signatures.items():
        s = stats.setdefault(rid, [0, None, None])
        s[0] += count
        s[1] = first if s[1] is None or (first and first < s[1]) else s[1]
        s[2] = last if s[2] is None or (last and last > s[2]) else s[2]
    rooms = {}
    for rid, row in by_id.items():
        count, first, last = stats.get(rid, [0, None, None])
        rooms[rid] = {
            "id": rid,
            "title": title_of(row),
            "kind": kind_of(row),
            "kind_title": KIND_TITLES[kind_of(row)],
            "topic": row.get("topic"),
            "description": row.get("description"),
            "archived": bool(row.get("archived")),
            "members": row.get("member_rows") or row.get("users_count"),
            "messages": count,
            "first": utc_text(first)[:10] if first else None,
            "last": utc_text(last)[:10] if last else None,
            "prid": row.get("prid"),
        }
    for room in rooms.values():
        parent = rooms.get(room["prid"] or "")
        room["parent_title"] = parent["title"] if parent else None
        room["parent_rid"] = parent["id"] if parent else None
        room["discussions"] = sorted(
            (
                {"rid": r["id"], "title": r["title"]}
                for r in rooms.values()
                if r["prid"] == room["id"]
            ),
            key=lambda d: d["title"],
        )
    return rooms


def with_links(room: dict[str, Any], root: str) -> dict[str, Any]:
    """The room with hrefs relative to a page `root` away from the top of the site."""
    linked = dict(room)
    linked["href"] = href(room_index_path(room["id"]), root)
    linked["parent_href"] = (
        href(room_index_path(room["parent_rid"]), root) if room["parent_rid"] else None
    )
    linked["discussions"] = [
        {**d, "href": href(room_index_path(d["rid"]), root)} for d in room["discussions"]
    ]
    return linked


def room_signature(room: dict[str, Any]) -> str:
    """What a room's message pages show of the room itself; a change rewrites its pages."""
    shown = {k: room[k] for k in ("title", "kind", "topic", "description", "parent_title")}
    shown["discussions"] = room["discussions"]
    return hashlib.sha256(orjson.dumps(shown, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def grouped(rooms: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    groups = []
    for key, title in KINDS:
        members = sorted(
            (with_links(r, "") for r in rooms.values() if r["kind"] == key),
            key=lambda r: r["title"].lower(),
        )
        if members:
            groups.append({"key": key, "title": title, "rooms": members})
    return groups
