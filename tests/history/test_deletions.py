"""A deletion under each policy, with and without a legal hold on its room or on its author,
leaves exactly the documented rows; removing a hold purges nothing until the next reconcile."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from etl.load.holds import remove_holds
from etl.schema import metadata
from etl.sync import reconcile
from tests.history.helpers import hold, message_row, readable_channels, versions
from tests.sync.helpers import make_client

KEPT = ["created", "edited", "deleted"]


def _tombstoned(engine: Any, message_id: str, table: str = "messages") -> bool:
    tomb = metadata.tables["tombstones"]
    query = select(tomb.c.id).where(tomb.c.table_name == table, tomb.c.id == message_id)
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def _assert_kept(engine: Any, message_id: str, text: str) -> None:
    """`keep`, or any policy under a hold: the row stays with its content, and the deletion is
    one more version holding the last content."""
    row = message_row(engine, message_id)
    assert row is not None and row["deleted_at"] is not None and row["msg"] == text
    rows = versions(engine, message_id)
    assert [r["kind"] for r in rows] == KEPT
    assert [r["msg"] for r in rows] == [text.replace("v2", "v1"), text, text]
    assert rows[-1]["edited_at"] == row["deleted_at"]


def _assert_redacted(engine: Any, message_id: str, kinds: list[str]) -> None:
    row = message_row(engine, message_id)
    assert row is not None and row["deleted_at"] is not None and row["msg"] is None
    rows = versions(engine, message_id)
    assert [r["kind"] for r in rows] == kinds
    assert all(r["msg"] is None and r["raw"] is None and r["content_hash"] is None for r in rows)
    assert all(r["attachments"] is None for r in rows)


def _assert_purged(engine: Any, message_id: str, version: int) -> None:
    assert message_row(engine, message_id) is None and _tombstoned(engine, message_id)
    rows = versions(engine, message_id)
    assert [(r["version"], r["kind"], r["msg"], r["raw"]) for r in rows] == [
        (version, "purged", None, None)
    ]


@pytest.mark.parametrize("policy", ["keep", "redact", "purge"])
def test_deletion_under_each_policy_with_and_without_holds(syncer: Any, policy: str) -> None:
    sync = syncer(deletion_policy=policy)
    ws = sync.server.ws
    admin, held_user = ws.credentials["admin"]["user_id"], ws.credentials["user"]["user_id"]
    free_room, held_room = readable_channels(ws, 2)
    m = ws.mutate
    posted = {
        "free": (free_room, admin),
        "shown": (free_room, admin),  # deleted with ShowDeletedStatus: a `t:'rm'` update
        "in_held_room": (held_room, admin),
        "by_held_user": (free_room, held_user),
    }
    ids = {
        name: m.post_message(rid, uid, f"{name} v1")["_id"] for name, (rid, uid) in posted.items()
    }
    sync.run()
    for name, mid in ids.items():
        m.edit_message(mid, posted[name][1], f"{name} v2")
    sync.run()
    hold(sync.engine, "room", held_room)
    hold(sync.engine, "user", held_user)
    for name, mid in ids.items():
        m.delete_message(mid, admin, keep_history=False, show_deleted_status=name == "shown")
    assert sync.run().status == "ok"
    sync.run()  # the same deletions seen again add nothing
    # A `t:'rm'` deletion names its deleter (editedBy); the trash names nobody; a purge keeps
    # no name at all.
    deleter = (admin, ws.users[admin]["username"]) if policy != "purge" else (None, None)
    for name, who in (("shown", deleter), ("free", (None, None))):
        last = versions(sync.engine, ids[name])[-1]
        assert (last["edited_by_id"], last["edited_by_username"]) == who, name

    _assert_kept(sync.engine, ids["in_held_room"], "in_held_room v2")
    _assert_kept(sync.engine, ids["by_held_user"], "by_held_user v2")
    for name in ("free", "shown"):
        if policy == "keep":
            _assert_kept(sync.engine, ids[name], f"{name} v2")
        elif policy == "redact":
            _assert_redacted(sync.engine, ids[name], ["created", "edited", "redacted"])
        else:
            _assert_purged(sync.engine, ids[name], 3)

    # Removing a hold does not purge retroactively; the next reconcile applies the policy.
    with sync.engine.begin() as conn:
        assert remove_holds(conn, "room", held_room, removed_by="tester")
    sync.run()
    _assert_kept(sync.engine, ids["in_held_room"], "in_held_room v2")
    with make_client(sync.server.url, sync.creds) as client:
        assert reconcile(sync.settings, client, sync.engine).status == "ok"
    released = ids["in_held_room"]
    if policy == "keep":
        _assert_kept(sync.engine, released, "in_held_room v2")
    elif policy == "redact":
        _assert_redacted(sync.engine, released, [*KEPT, "redacted"])
    else:
        _assert_purged(sync.engine, released, 4)
    _assert_kept(sync.engine, ids["by_held_user"], "by_held_user v2")  # still held


def test_reconcile_applies_the_policy_to_a_room_a_removed_hold_kept(syncer: Any) -> None:
    """A held room deleted on the server is kept under `purge`; once the hold is removed, the
    next reconcile purges the room like any other (a plain sync still does not)."""
    sync = syncer(deletion_policy="purge")
    ws = sync.server.ws
    (room,) = readable_channels(ws, 1)
    sync.run()
    hold(sync.engine, "room", room)
    ws.mutate.delete_room(room)
    assert sync.run().status == "ok"
    rooms = metadata.tables["rooms"]
    query = select(rooms.c.deleted_at).where(rooms.c.id == room)
    with sync.engine.connect() as conn:
        assert conn.execute(query).scalar_one() is not None  # recorded, kept
    with sync.engine.begin() as conn:
        assert remove_holds(conn, "room", room, removed_by="tester")
    sync.run()
    with sync.engine.connect() as conn:
        assert conn.execute(query).first() is not None
    with make_client(sync.server.url, sync.creds) as client:
        assert reconcile(sync.settings, client, sync.engine).status == "ok"
    with sync.engine.connect() as conn:
        assert conn.execute(query).first() is None
    assert _tombstoned(sync.engine, room, "rooms")
