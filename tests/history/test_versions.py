"""Versions from edits across syncs, server history clones, and the server's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from etl.sync import reconcile
from tests.history.helpers import readable_channels, versions
from tests.sync.helpers import make_client


def _ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def test_three_edits_across_four_syncs_make_versions_one_to_four(syncer: Any) -> None:
    sync = syncer()
    ws = sync.server.ws
    admin, user = ws.credentials["admin"]["user_id"], ws.credentials["user"]["user_id"]
    (room,) = readable_channels(ws, 1)
    m = ws.mutate
    mid = m.post_message(room, user, "first text")["_id"]
    sync.run()
    edits = [(admin, "second text"), (user, "third text"), (admin, "fourth text")]
    for editor, text in edits:
        ws.clock.advance(86_400)  # a day later on the SERVER's clock (not this machine's)
        m.edit_message(mid, editor, text)
        m.react(mid, admin, ":eyes:")  # reactions and pins never make versions
        assert sync.run().status == "ok"
        seen = versions(sync.engine, mid)[-1]["observed_at"]
        assert abs(_ms(seen) - ws.now()) < 2_000, "observed_at comes from the server's clock"
    m.pin(mid, admin)
    sync.run()
    with make_client(sync.server.url, sync.creds) as client:
        reconcile(sync.settings, client, sync.engine)
    rows = versions(sync.engine, mid)
    assert [r["version"] for r in rows] == [1, 2, 3, 4]
    assert [r["kind"] for r in rows] == ["created", "edited", "edited", "edited"]
    assert [r["msg"] for r in rows] == ["first text", "second text", "third text", "fourth text"]
    names = {admin: ws.users[admin]["username"], user: ws.users[user]["username"]}
    assert [r["edited_by_id"] for r in rows] == [None, admin, user, admin]
    assert [r["edited_by_username"] for r in rows] == [None] + [names[e] for e, _ in edits]
    assert rows[0]["edited_at"] is None and all(r["edited_at"] for r in rows[1:])
    assert {r["origin"] for r in rows} == {"sync"}
    assert rows[-1]["raw"]["msg"] == "fourth text"
    observed = [r["observed_at"] for r in rows]
    assert all(b - a > timedelta(hours=23) for a, b in pairwise(observed))


def test_history_clones_of_a_thread_parent_become_versions(syncer: Any) -> None:
    """chat.syncThreadsList has no `_hidden` filter: edits the sync never saw live (made between
    two syncs) come back as the parent's history clones and are recorded, once."""
    sync = syncer()
    ws = sync.server.ws
    admin, user = ws.credentials["admin"]["user_id"], ws.credentials["user"]["user_id"]
    (room,) = readable_channels(ws, 1)
    m = ws.mutate
    m.set_setting("Message_KeepHistory", True)
    parent = m.post_message(room, admin, "question v1")["_id"]
    m.post_message(room, user, "an answer", tmid=parent)
    sync.run()
    ws.clock.advance(60)
    m.edit_message(parent, admin, "question v2")
    ws.clock.advance(60)
    m.edit_message(parent, user, "question v3")
    ws.clock.advance(60)
    m.edit_message(parent, admin, "question v4")
    clones = [c for c in ws.ground_truth()["history_clones"].values() if c["parent"] == parent]
    assert len(clones) == 3
    sync.run()
    sync.run()  # the clones come back while they are newer than the watermark: no repeat
    rows = versions(sync.engine, parent)
    assert [r["msg"] for r in rows][:2] == ["question v1", "question v4"]
    from_server = [r for r in rows if r["origin"] == "server_history"]
    assert sorted(r["msg"] for r in from_server) == ["question v2", "question v3"]
    assert [r["version"] for r in rows] == [1, 2, 3, 4]
    by_text = {c["msg"]: c for c in clones}
    for row in from_server:
        clone = by_text[row["msg"]]
        assert row["edited_by_id"] == clone["editedBy"]["_id"]
        assert row["edited_at"] == datetime.fromisoformat(clone["editedAt"]).astimezone(UTC)
        assert row["raw"]["parent"] == parent and row["raw"]["_hidden"] is True
    ws.clock.advance(60)
    m.react(parent, user, ":+1:")
    sync.run()
    assert len(versions(sync.engine, parent)) == 4
