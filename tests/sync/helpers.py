"""Shared pieces of the sync tests: settings and a client for a simulator, and the comparison of
the database with the simulator's ground truth."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from etl.client import Credentials, RocketChatClient
from etl.config import RetrySettings, Settings, load_settings
from etl.schema import metadata

# Resources compared one to one with the ground truth (id sets of live rows).
SERVER_WIDE = ("users", "roles", "permissions", "custom_emoji", "custom_sounds", "teams")


def make_settings(server_url: str, db_url: str, **sync: Any) -> Settings:
    overrides = {"server.url": server_url, "database.url": db_url}
    overrides.update({f"sync.{key}": value for key, value in sync.items()})
    return load_settings(None, overrides, environ={})


def make_client(server_url: str, creds: dict[str, str], **retry: Any) -> RocketChatClient:
    retries = RetrySettings(
        **{"max_attempts": 8, "backoff_initial": 0.01, "backoff_max": 0.05, **retry}
    )
    return RocketChatClient(
        server_url,
        Credentials(user_id=creds["user_id"], token=creds["token"]),
        retries=retries,
        max_connections=8,
    )


def live_rows(engine: Engine, table: str) -> dict[str, dict[str, Any]]:
    t = metadata.tables[table]
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.raw).where(t.c.deleted_at.is_(None)))
        return {row.id: row.raw for row in rows}


def deleted_ids(engine: Engine, table: str) -> set[str]:
    t = metadata.tables[table]
    tomb = metadata.tables["tombstones"]
    with engine.connect() as conn:
        marked = {r.id for r in conn.execute(select(t.c.id).where(t.c.deleted_at.is_not(None)))}
        gone = conn.execute(select(tomb.c.id).where(tomb.c.table_name == table))
        return marked | {r.id for r in gone}


def expected_messages(ws: Any, uid: str) -> tuple[dict[str, dict], set[str]]:
    """Live messages the token can read, and the soft-deleted (`t:'rm'`) ones among them."""
    truth = ws.ground_truth()
    readable = ws.readable_room_ids(uid)
    docs = {k: d for k, d in truth["messages"].items() if d["rid"] in readable}
    removed = {k for k, d in docs.items() if d.get("t") == "rm"}
    return {k: d for k, d in docs.items() if k not in removed}, removed


def message_view(doc: dict[str, Any]) -> tuple[Any, ...]:
    """What must match between a stored message and the server's: text, edits, reactions,
    thread counters, pins, update time."""
    reactions = {
        emoji: sorted(r.get("usernames", [])) for emoji, r in (doc.get("reactions") or {}).items()
    }
    return (
        doc.get("msg"),
        doc.get("_updatedAt"),
        doc.get("editedAt"),
        reactions,
        doc.get("tcount"),
        doc.get("tlm"),
        sorted(doc.get("replies") or []),
        doc.get("pinned"),
        doc.get("tmid"),
        doc.get("t"),
    )


def assert_level_with_server(
    engine: Engine,
    ws: Any,
    creds: dict[str, str],
    still_live: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """The database equals the simulator's ground truth for everything this token can read.
    `still_live`: message ids deleted in a way no delta reports (`_hidden` only), which an
    incremental sync cannot see and reconciliation must find."""
    uid = creds["user_id"]
    truth = ws.ground_truth()
    for table in SERVER_WIDE:
        stored = set(live_rows(engine, table))
        assert stored == set(truth[table]), f"{table}: {stored ^ set(truth[table])}"
    rooms = live_rows(engine, "rooms")
    assert set(rooms) == set(truth["rooms"]), set(rooms) ^ set(truth["rooms"])
    subs = {k for k, d in truth["subscriptions"].items() if d["u"]["_id"] == uid}
    assert set(live_rows(engine, "subscriptions")) == subs
    public = {k for k, d in truth["settings"].items() if d.get("public")}
    assert set(live_rows(engine, "settings")) == public
    expected, removed = expected_messages(ws, uid)
    stored = {k: v for k, v in live_rows(engine, "messages").items() if k not in still_live}
    missing, extra = set(expected) - set(stored), set(stored) - set(expected)
    assert not missing and not extra, f"missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"
    for msg_id, doc in expected.items():
        assert message_view(stored[msg_id]) == message_view(doc), msg_id
    assert removed <= deleted_ids(engine, "messages")
    gone = set(truth["trash"].get("messages", {})) & deleted_ids(engine, "messages")
    assert not gone & set(stored)
    unreadable = set(truth["rooms"]) - ws.readable_room_ids(uid)
    assert unreadable == unreadable_rooms(engine)


def unreadable_rooms(engine: Engine) -> set[str]:
    rooms = metadata.tables["rooms"]
    with engine.connect() as conn:
        query = select(rooms.c.id).where(rooms.c.readable.is_(False), rooms.c.deleted_at.is_(None))
        return {row.id for row in conn.execute(query)}


def pick_messages(ws: Any, room_id: str, count: int) -> list[str]:
    """Plain user messages of a room (no thread parents, no system messages, no livechat
    visitor messages: a visitor is not a user), oldest first."""
    truth = ws.ground_truth()["messages"]
    docs = [
        d
        for d in truth.values()
        if d["rid"] == room_id
        and not d.get("t")
        and not d.get("tcount")
        and not d.get("tmid")
        and "token" not in d
    ]
    return [d["_id"] for d in sorted(docs, key=lambda d: (d["ts"], d["_id"]))][:count]


def live_activity(ws: Any) -> dict[str, Any]:
    """Posts, edits, reactions, pins, thread replies, deletions under all four KeepHistory x
    ShowDeletedStatus settings, a new room, a rename, emoji, role and user changes.
    Returns what was touched: room ids and the id deleted `_hidden`-only."""
    admin = ws.credentials["admin"]["user_id"]
    before = {rid: room.get("_updatedAt") for rid, room in ws.ground_truth()["rooms"].items()}
    readable = sorted(
        rid
        for rid in ws.readable_room_ids(admin)
        if len(pick_messages(ws, rid, 6)) == 6 and ws.rooms[rid]["t"] != "d"
    )
    r1, r2, r3 = readable[:3]
    m = ws.mutate
    ws.clock.advance(5)
    m1 = pick_messages(ws, r1, 6)
    m2 = pick_messages(ws, r2, 6)
    m.post_message(r1, admin, "hello after the first sync")
    m.set_setting("Message_KeepHistory", True)  # the edit leaves a `_hidden` history clone
    m.edit_message(m1[0], admin, "edited text")
    m.set_setting("Message_KeepHistory", False)
    m.react(m1[1], admin, ":tada:")
    m.post_message(r2, admin, "a reply", tmid=m2[0])
    m.post_message(r2, admin, "a reply shown in the room", tmid=m2[0], tshow=True)
    m.pin(m2[1], admin)
    settings = [(False, False), (False, True), (True, True), (True, False)]
    for mid, (keep, show) in zip(m1[2:6], settings, strict=True):
        m.delete_message(mid, admin, keep_history=keep, show_deleted_status=show)
    hidden = m1[5]
    m.rename_room(r3, "renamed-room")
    new_room = m.create_room("c", "brand-new", admin, members=[])
    m.post_message(new_room["_id"], admin, "first message in a new room")
    emoji = next(iter(ws.custom_emoji))
    m.delete_emoji(emoji)
    m.add_emoji("party-parrot", aliases=["pp"])
    role = next(rid for rid, r in ws.roles.items() if not r.get("protected"))
    m.delete_role(role)
    m.add_role("auditor")
    m.add_user("newcomer")
    admin_ids = {c["user_id"] for c in ws.credentials.values()}
    m.delete_user(
        next(uid for uid in sorted(ws.users) if uid not in admin_ids and uid != "rocket.cat")
    )
    after = ws.ground_truth()["rooms"]
    touched = {rid for rid, room in after.items() if room.get("_updatedAt") != before.get(rid)}
    return {"touched_rooms": touched, "hidden": hidden, "rooms": (r1, r2, r3)}
