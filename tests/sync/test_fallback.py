"""Servers without chat.syncMessages cursor mode: the lastUpdate mode and the `*.messages` offset
walks load the same messages (forced here; a real old server triggers them with a 400/404)."""

from __future__ import annotations

from typing import Any

import pytest

from etl.sync.context import SyncContext
from etl.sync.fallback import MessageMode
from etl.sync.messages import sync_messages
from etl.sync.summary import SyncSummary
from tests.sync.helpers import (
    assert_level_with_server,
    live_activity,
    live_rows,
    make_client,
)


@pytest.mark.parametrize("kind", ["last_update", "offset"])
def test_fallback_modes_reach_ground_truth(sqlite_syncer: Any, kind: str) -> None:
    sync = sqlite_syncer()
    ws = sync.server.ws
    if kind == "offset":
        # There is no `*.messages` route for livechat rooms: on a server that old their
        # messages stay unreadable. This test is about the chat rooms.
        for rid in [rid for rid, room in ws.rooms.items() if room["t"] == "l"]:
            del ws.rooms[rid]
    others = [name for name in sync.settings.sync.resources if name != "messages"]
    sync.run(others)

    def messages_only() -> SyncSummary:
        with make_client(sync.server.url, sync.creds) as client:
            summary = SyncSummary()
            ctx = SyncContext(sync.settings, client, sync.engine, summary)
            sync_messages(ctx, MessageMode(kind))
            return summary

    assert not messages_only().errors
    assert_level_with_server(sync.engine, ws, sync.creds)
    hidden = live_activity(ws)["hidden"]
    sync.run(others)
    assert not messages_only().errors
    # The offset walk re-lists whole rooms, so it even notices the `_hidden`-only deletion.
    still_live = {hidden} if kind == "last_update" else set()
    assert_level_with_server(sync.engine, ws, sync.creds, still_live=still_live)
    assert (hidden in live_rows(sync.engine, "messages")) == (kind == "last_update")
