"""First sync, incremental syncs after live activity, no-change syncs and reconciliation, against
the simulator over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from etl.config import ALL_RESOURCES
from etl.schema import metadata
from etl.sync.engine import PER_ROOM
from tests.sync.helpers import (
    assert_level_with_server,
    deleted_ids,
    live_activity,
    live_rows,
    pick_messages,
    unreadable_rooms,
)

PER_ROOM_ENDPOINTS = (
    "chat.syncMessages",
    "chat.getThreadsList",
    "chat.syncThreadsList",
    "chat.getDeletedMessages",
    "channels.members",
    "groups.members",
    "rooms.info",
)


def per_room_requests(server: Any) -> dict[str, int]:
    counts = server.request_log.counts()
    return {name: counts[name] for name in PER_ROOM_ENDPOINTS if counts.get(name)}


def test_first_sync_equals_ground_truth(syncer: Any) -> None:
    sync = syncer()
    summary = sync.run()
    assert summary.status == "ok", summary.errors
    assert_level_with_server(sync.engine, sync.server.ws, sync.creds)
    ws, admin = sync.server.ws, sync.creds["user_id"]
    unreadable = set(ws.ground_truth()["rooms"]) - ws.readable_room_ids(admin)
    assert unreadable and set(summary.unreadable_rooms) == unreadable
    assert all("not allowed" in reason for reason in summary.unreadable_rooms.values())
    messages = summary.counts("messages")
    assert messages.upserted > 500 and messages.quarantined == 0
    runs = metadata.tables["sync_runs"]
    with sync.engine.connect() as conn:
        run = conn.execute(select(runs).where(runs.c.id == summary.run_id)).one()
    assert run.status == "ok" and run.requests == summary.requests
    assert run.counts["messages"]["upserted"] == messages.upserted


def test_no_change_incremental_makes_no_per_room_requests(syncer: Any) -> None:
    sync = syncer()
    # the chat resources (the omnichannel ones count their own: tests/sync/test_omnichannel.py)
    chat = [name for name in ALL_RESOURCES if not name.startswith("livechat_")]
    sync.run(chat)
    sync.server.request_log.clear()
    summary = sync.run(chat)
    assert summary.status == "ok"
    assert per_room_requests(sync.server) == {}
    # Only the run's statistics snapshot (one row per run, by design) is written.
    assert summary.total("upserted") == summary.counts("server_statistics").upserted == 1
    assert summary.total("deleted") == 0
    # 14 reads, plus one confirming page per count=0 listing (a `total` may lie: issue 9 case 7);
    # then custom_user_statuses 2, integrations 2, one history page per outgoing integration (2)
    # and statistics 1 (issue 11).
    assert summary.requests == sync.server.request_log.count() <= 19 + 7
    assert_level_with_server(sync.engine, sync.server.ws, sync.creds)


def test_incremental_after_live_activity_then_reconcile(syncer: Any) -> None:
    sync = syncer()
    sync.run()
    ws = sync.server.ws
    known = set(ws.rooms)
    activity = live_activity(ws)
    sync.server.request_log.clear()
    summary = sync.run()
    assert summary.status == "ok", summary.errors
    hidden = {activity["hidden"]}
    assert_level_with_server(sync.engine, ws, sync.creds, still_live=hidden)
    # Only the rooms that moved were walked, plus the parent rooms of moved discussions (whose
    # `discussion-created` message changed): one UPDATED page and one DELETED page each, or a
    # single refused request for a room the token cannot read. No recheck is due yet (1 h). A
    # room new since the last sync holds nothing we stored: its first walk asks no DELETED page.
    admin = sync.creds["user_id"]
    touched = activity["touched_rooms"]
    can_read = ws.readable_room_ids(admin)
    parents = {ws.rooms[rid].get("prid") for rid in touched if rid in ws.rooms} & can_read
    walked = touched | parents
    readable = walked & can_read
    expected = 2 * len(readable & known) + len(readable - known) + len(walked - readable)
    log = sync.server.request_log
    assert log.count("chat.syncMessages") == expected
    assert summary.counts("messages").rooms_walked == len(walked)
    # the message walks of this run already wrote the thread parents of the rooms they walked
    assert log.count("chat.syncThreadsList") + log.count("chat.getThreadsList") == 0
    # one page per changed room: lists shorter than a page are asked as one page, not count=0
    assert log.count("channels.members") + log.count("groups.members") <= len(touched)
    for endpoint in ("roles.sync", "emoji-custom.list", "permissions.listAll"):
        assert log.count(endpoint) == 1, endpoint
    assert log.count("settings.public") == 1  # fewer than a page stored: one page, no count=0
    # users: newest first down to the watermark, plus one id listing because a user was deleted
    assert log.count("users.list") == 2
    assert log.count("rooms.info") == 0 and log.count("chat.getDeletedMessages") == 0
    assert set(live_rows(sync.engine, "custom_emoji")) == set(ws.custom_emoji)
    # The `_hidden`-only deletion reaches no delta: reconciliation finds it.
    assert activity["hidden"] in live_rows(sync.engine, "messages")
    result = sync.run(full=True)
    assert result.status == "ok" and "messages" in result.reconciled
    assert_level_with_server(sync.engine, ws, sync.creds)
    assert activity["hidden"] in deleted_ids(sync.engine, "messages")


def test_soft_deletions_keep_last_content(sqlite_syncer: Any) -> None:
    keep = sqlite_syncer(deletion_policy="keep")
    keep.run(["messages"])
    ws = keep.server.ws
    live_activity(ws)
    keep.run(["messages"])
    messages = metadata.tables["messages"]
    with keep.engine.connect() as conn:
        rows = conn.execute(select(messages.c.msg).where(messages.c.deleted_at.is_not(None)))
        kept = [row.msg for row in rows]
    # t:'rm' blanks the text on the server; under `keep` the last content we saw stays.
    assert kept and all(text for text in kept)


def test_per_room_resources_bring_rooms(sqlite_syncer: Any) -> None:
    sync = sqlite_syncer()
    summary = sync.run(["members"])
    assert set(summary.resources) == {"rooms", "members"}
    assert set(PER_ROOM) == {"members", "messages", "threads", "uploads"}
    members = metadata.tables["room_members"]
    with sync.engine.connect() as conn:
        rooms_with_members = {r.room_id for r in conn.execute(select(members.c.room_id))}
    ws = sync.server.ws
    # livechat rooms have no member list: the visitor is not a user
    readable = {r for r in ws.readable_room_ids(sync.creds["user_id"]) if ws.rooms[r]["t"] != "l"}
    assert readable - rooms_with_members <= unreadable_rooms(sync.engine) | set()


def test_bad_records_are_quarantined_and_nul_text_is_kept(syncer: Any) -> None:
    sync = syncer()
    ws = sync.server.ws
    admin = sync.creds["user_id"]
    room = sorted(ws.readable_room_ids(admin))[0]
    nul = ws.mutate.post_message(room, admin, "before\x00after")["_id"]
    bad = ws.mutate.post_message(room, admin, "bad", editedAt="the day before yesterday")["_id"]
    summary = sync.run(["messages"])
    assert summary.status == "ok" and summary.counts("messages").quarantined == 1
    stored = live_rows(sync.engine, "messages")
    assert stored[nul]["msg"] == "before\x00after" and bad not in stored
    quarantine = metadata.tables["quarantine"]
    with sync.engine.connect() as conn:
        row = conn.execute(select(quarantine)).one()
    assert row.record_id == bad and "editedAt" in row.reason and row.run_id == summary.run_id
    assert "the day before yesterday" in row.raw


def test_threads_on_their_own(sqlite_syncer: Any) -> None:
    sync = sqlite_syncer()
    summary = sync.run(["threads"])
    assert summary.status == "ok", summary.errors
    ws, admin = sync.server.ws, sync.creds["user_id"]
    readable = ws.readable_room_ids(admin)
    parents = {
        k
        for k, d in ws.ground_truth()["messages"].items()
        if d.get("tcount") and d["rid"] in readable and d.get("t") != "rm"
    }
    assert set(live_rows(sync.engine, "messages")) == parents


def quiet_changes(ws: Any, rid: str, text: str) -> list[str]:
    """Edits, reactions and stars of older messages: on a real server none moves the room."""
    admin = ws.credentials["admin"]["user_id"]
    mids = pick_messages(ws, rid, 3)
    before = ws.rooms[rid]["_updatedAt"]
    ws.clock.advance(5)
    ws.mutate.edit_message(mids[0], admin, text)
    ws.mutate.react(mids[1], admin, ":eyes:")
    ws.mutate.star(mids[2], admin)
    assert ws.rooms[rid]["_updatedAt"] == before
    return mids


def age_checkpoints(engine: Any, hours: float) -> None:
    """Pretend every room walk happened `hours` ago (the recheck schedule runs on local time)."""
    state = metadata.tables["sync_state"]
    with engine.begin() as conn:
        rows = conn.execute(select(state.c.scope, state.c.updated_at).where(state.c.scope != ""))
        for row in rows.all():
            older = row.updated_at - timedelta(hours=hours)
            conn.execute(update(state).where(state.c.scope == row.scope).values(updated_at=older))


def walk_order(engine: Any) -> list[str]:
    state = metadata.tables["sync_state"]
    query = select(state.c.scope).where(
        state.c.resource == "messages", state.c.scope != "", state.c.status == "complete"
    )
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(state.c.updated_at, state.c.scope)).scalars())


def test_quiet_room_changes_arrive_with_the_recheck_or_reconcile(syncer: Any) -> None:
    sync = syncer(room_recheck_after="1h", room_recheck_batch=3)
    sync.run()
    ws = sync.server.ws
    quiet = sorted(
        rid
        for rid in ws.readable_room_ids(sync.creds["user_id"])
        if len(pick_messages(ws, rid, 4)) == 4
    )[0]
    edited = quiet_changes(ws, quiet, "quietly edited")[0]
    # The room did not move: an incremental sync right away makes no per-room request, misses it.
    sync.server.request_log.clear()
    assert sync.run().status == "ok"
    assert per_room_requests(sync.server) == {}
    assert live_rows(sync.engine, "messages")[edited]["msg"] != "quietly edited"
    # An hour later the rechecks are due: three rooms per run, the longest unchecked first, each
    # walked from its watermark (one UPDATED and one DELETED page).
    age_checkpoints(sync.engine, hours=2)
    order = walk_order(sync.engine)
    sync.server.request_log.clear()
    summary = sync.run()
    assert summary.counts("messages").rooms_walked == 3
    assert sync.server.request_log.count("chat.syncMessages") == 6
    assert set(walk_order(sync.engine)[-3:]) == set(order[:3])
    assert summary.counts("messages").upserted == (3 if quiet in order[:3] else 0)
    # Without a cap every due room is rechecked once; then everything quiet is level.
    sync.settings.sync.room_recheck_batch = None
    age_checkpoints(sync.engine, hours=2)
    sync.server.request_log.clear()
    summary = sync.run()
    assert sync.server.request_log.count("chat.syncMessages") == 2 * len(order)
    assert live_rows(sync.engine, "messages")[edited]["msg"] == "quietly edited"
    assert_level_with_server(sync.engine, ws, sync.creds)
    # Rechecks off: a quiet change waits for reconciliation, which finds it.
    sync.settings.sync.room_recheck_after = 0
    again = quiet_changes(ws, quiet, "edited once more")[0]
    age_checkpoints(sync.engine, hours=2)
    sync.server.request_log.clear()
    sync.run()
    assert per_room_requests(sync.server) == {}
    assert live_rows(sync.engine, "messages")[again]["msg"] == "quietly edited"
    assert sync.run(full=True).status == "ok"
    assert live_rows(sync.engine, "messages")[again]["msg"] == "edited once more"
    assert_level_with_server(sync.engine, ws, sync.creds)


def test_threads_disabled_on_the_server_is_not_an_error(syncer: Any) -> None:
    """Threads_enabled off: the thread endpoints answer 400 `[error-not-allowed]` (its errorType,
    not its text, is what the sync reads); the rooms' thread checkpoints still complete."""
    sync = syncer()
    sync.server.ws.mutate.set_setting("Threads_enabled", False)
    summary = sync.run(["threads"])
    assert summary.status == "ok", summary.errors
    assert sync.server.request_log.counts().get("chat.getThreadsList")
    state = metadata.tables["sync_state"]
    with sync.engine.connect() as conn:
        statuses = conn.execute(
            select(state.c.status).where(state.c.resource == "threads", state.c.scope != "")
        ).scalars()
        assert set(statuses) == {"complete"}
