"""Request counts (issue 15): facts, not timings. Counted by the simulator's own request log, so
they are deterministic; bench/bench_requests.py prints the same per endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from etl.config import ALL_RESOURCES
from etl.schema import metadata
from etl.simulator import SimOptions, SimServer, build_workspace
from tests.sync.conftest import Syncer
from tests.sync.helpers import assert_level_with_server, live_rows

THREAD_ENDPOINTS = ("chat.getThreadsList", "chat.syncThreadsList")
# Server-wide collections with no delta (issue 11): each costs its listing on every run, whatever
# the number of rooms (integration history: one page per outgoing integration).
SERVER_WIDE = tuple(
    name
    for name in ALL_RESOURCES
    if name.startswith("livechat_")
    or name in ("custom_user_statuses", "integrations", "integration_history", "server_statistics")
)
CHAT = [name for name in ALL_RESOURCES if name not in SERVER_WIDE]


def test_first_sync_one_request_per_message_page_and_member_page(sqlite_syncer: Any) -> None:
    sync = sqlite_syncer()
    ws = sync.server.ws
    summary = sync.run()
    assert summary.status == "ok", summary.errors
    assert_level_with_server(sync.engine, ws, sync.creds)
    log = sync.server.request_log
    # The message walks wrote every thread parent: no thread endpoint is asked in the same run.
    assert all(log.count(endpoint) == 0 for endpoint in THREAD_ENDPOINTS)
    # Every room fits one page (tiny: < 1,000 messages each): one UPDATED page per readable
    # room, one refused request per unreadable one, and no DELETED page on a first walk.
    assert log.count("chat.syncMessages") == len(ws.rooms)
    # Member lists shorter than a page: one page each, no `count=0` answer to confirm.
    admin = sync.creds["user_id"]
    listed = [r for r in ws.readable_room_ids(admin) if ws.rooms[r]["t"] in ("c", "p")]
    assert log.count("channels.members") + log.count("groups.members") == len(listed)


def test_threads_alone_still_use_the_thread_endpoints_from_the_message_walk_watermark(
    sqlite_syncer: Any,
) -> None:
    sync = sqlite_syncer()
    ws = sync.server.ws
    assert sync.run().status == "ok"
    admin = sync.creds["user_id"]
    stored = live_rows(sync.engine, "messages")
    parent = next(
        mid
        for mid, doc in sorted(stored.items())
        if doc.get("tcount") and doc["rid"] in ws.readable_room_ids(admin)
    )
    ws.clock.advance(5)
    ws.mutate.post_message(stored[parent]["rid"], admin, "a late reply", tmid=parent)
    sync.server.request_log.clear()
    assert sync.run(["threads"]).status == "ok"
    log = sync.server.request_log
    assert log.count("chat.syncThreadsList") == 1 and log.count("chat.getThreadsList") == 0
    assert log.count("chat.syncMessages") == 0
    assert live_rows(sync.engine, "messages")[parent]["tcount"] == stored[parent]["tcount"] + 1


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Syncer]:
    """A 1,000-room workspace, synced once; the tests below continue from that database."""
    ws = build_workspace(seed=3, size="wide")
    server = SimServer(ws, SimOptions(), host="127.0.0.1", port=0).start()
    db = Path(tmp_path_factory.mktemp("wide")) / "wide.db"
    sync = Syncer(server, f"sqlite:///{db}")
    summary = sync.run()
    assert summary.status == "ok", summary.errors
    log = server.request_log
    assert len(ws.rooms) >= 1_000
    assert all(log.count(endpoint) == 0 for endpoint in THREAD_ENDPOINTS)
    yield sync
    sync.close()
    server.stop()


def test_no_op_incremental_of_1000_rooms_makes_at_most_15_requests(wide: Syncer) -> None:
    wide.server.request_log.clear()
    summary = wide.run(CHAT)
    assert summary.status == "ok", summary.errors
    assert summary.requests == wide.server.request_log.count() <= 15
    assert summary.total("upserted") == 0


def test_server_wide_collections_add_one_listing_each_whatever_the_rooms(wide: Syncer) -> None:
    ws = wide.server.ws
    outgoing = sum(i["type"] == "webhook-outgoing" for i in ws.integrations.values())
    wide.server.request_log.clear()
    summary = wide.run(list(SERVER_WIDE))
    assert summary.status == "ok", summary.errors
    # one listing per collection (integration history: one page per outgoing integration) plus
    # the run's `info`; none per room, department or visitor when nothing changed
    assert summary.requests <= 1 + len(SERVER_WIDE) - 1 + outgoing, wide.server.request_log.counts()
    assert summary.total("upserted") == 1  # the statistics snapshot each run takes


@pytest.mark.parametrize("k", [1, 10, 100])
def test_changes_in_k_rooms_cost_requests_in_proportion(wide: Syncer, k: int) -> None:
    ws = wide.server.ws
    admin = wide.creds["user_id"]
    rooms = sorted(r for r in ws.readable_room_ids(admin) if ws.rooms[r]["t"] in ("c", "p"))
    changed = rooms[-k:] if k != 10 else rooms[:k]  # different rooms for each k
    ws.clock.advance(5)
    posted = [ws.mutate.post_message(rid, admin, f"change in {k} rooms")["_id"] for rid in changed]
    wide.server.request_log.clear()
    summary = wide.run(CHAT)
    assert summary.status == "ok", summary.errors
    # a fixed part (the no-op run) plus, per changed room: its UPDATED and DELETED pages, its
    # member page, and at most one more walk for the parent room of a discussion that moved
    assert wide.server.request_log.count() <= 15 + 4 * k
    assert all(wide.server.request_log.count(e) == 0 for e in THREAD_ENDPOINTS)
    messages = metadata.tables["messages"]
    with wide.engine.connect() as conn:
        stored = set(conn.execute(select(messages.c.id).where(messages.c.id.in_(posted))).scalars())
    assert stored == set(posted)
