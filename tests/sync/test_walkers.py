"""The paging generators against the simulator's quirks: clamped counts, count=0 refused, cursor
ties at one millisecond, the DELETED sort quirk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from etl.endpoints import ADMIN_ROOMS, USERS_LIST
from etl.message_walkers import fetch_deleted_message_ids, fetch_message_cursor
from etl.simulator import SimServer
from etl.walkers import (
    fetch_offset_pages,
)
from tests.sync.helpers import make_client


@pytest.fixture
def admin(serve: Callable[..., SimServer]) -> Any:
    server = serve()
    with make_client(server.url, server.ws.credentials["admin"]) as client:
        yield server, client


def test_offset_walk_advances_by_items_received_when_the_server_clamps(admin: Any) -> None:
    server, client = admin
    server.ws.mutate.set_setting("API_Upper_Count_Limit", 7)
    server.ws.mutate.set_setting("API_Allow_Infinite_Count", False)
    pages = list(fetch_offset_pages(client, USERS_LIST, page_size=50))
    ids = [doc["_id"] for page in pages for doc in page.items]
    assert len(ids) == len(set(ids)) == len(server.ws.users)
    assert len(pages) == -(-len(server.ws.users) // 7)  # every page clamped to 7
    assert pages[-1].offset == len(server.ws.users)


def test_count_zero_fetches_everything_in_one_request(admin: Any) -> None:
    server, client = admin
    pages = list(fetch_offset_pages(client, ADMIN_ROOMS, page_size=5))
    # One more, empty page confirms the answer was not clamped (a `total` can lie).
    assert [len(page.items) for page in pages] == [len(server.ws.rooms), 0]
    assert server.request_log.count("rooms.adminRooms") == 2
    # A smaller answer than one proven complete cannot have been clamped: no confirmation.
    server.ws.mutate.delete_room(next(iter(server.ws.rooms)))
    pages = list(fetch_offset_pages(client, ADMIN_ROOMS, page_size=5))
    assert [len(page.items) for page in pages] == [len(server.ws.rooms)]
    assert server.request_log.count("rooms.adminRooms") == 3
    # users.list rejected count=0 on older servers (a $limit of 0): the catalogue pages it.
    users = list(fetch_offset_pages(client, USERS_LIST, page_size=10))
    assert [len(page.items) for page in users] == [10, 10, len(server.ws.users) - 20]


def test_cursor_keeps_documents_that_tie_at_the_page_boundary(admin: Any) -> None:
    server, client = admin
    ws = server.ws
    owner = ws.credentials["admin"]["user_id"]
    room = ws.mutate.create_room("c", "ties", owner)["_id"]
    ws.clock.freeze()
    try:
        posted = {ws.mutate.post_message(room, owner, f"bulk {i}")["_id"] for i in range(25)}
    finally:
        ws.clock.unfreeze()
    pages = list(fetch_message_cursor(client, room, 0, count=10))
    seen = [doc["_id"] for page in pages for doc in page.items]
    assert len(seen) == len(set(seen)) and set(seen) == posted
    # Resuming from the checkpoint (watermark + ids at it) repeats nothing and misses nothing.
    last = pages[-1]
    ws.clock.advance(1)
    newer = ws.mutate.post_message(room, owner, "after")["_id"]
    resumed = fetch_message_cursor(
        client, room, last.watermark_ms, count=10, edge_ids=last.edge_ids
    )
    assert [doc["_id"] for page in resumed for doc in page.items] == [newer]


def test_a_document_seen_at_the_watermark_and_edited_later_is_fetched_again(admin: Any) -> None:
    # The checkpoint keeps the ids seen at the watermark's millisecond so the 1 ms overlap can
    # drop them; an id there that was edited since has a newer `_updatedAt` and must come back.
    server, client = admin
    ws = server.ws
    owner = ws.credentials["admin"]["user_id"]
    room = ws.mutate.create_room("c", "tie-edit", owner)["_id"]
    ws.clock.freeze()
    try:
        tied = [ws.mutate.post_message(room, owner, f"tie {i}")["_id"] for i in range(3)]
    finally:
        ws.clock.unfreeze()
    last = list(fetch_message_cursor(client, room, 0, count=10))[-1]
    assert set(tied) <= set(last.edge_ids)
    ws.clock.advance(1)
    ws.mutate.edit_message(tied[0], owner, "edited after the checkpoint")
    resumed = fetch_message_cursor(
        client, room, last.watermark_ms, count=10, edge_ids=last.edge_ids
    )
    docs = [doc for page in resumed for doc in page.items]
    assert [(doc["_id"], doc["msg"]) for doc in docs] == [(tied[0], "edited after the checkpoint")]


def test_deletions_survive_the_deleted_sort_quirk(admin: Any) -> None:
    server, client = admin
    ws = server.ws
    owner = ws.credentials["admin"]["user_id"]
    room = ws.mutate.create_room("c", "purge", owner)["_id"]
    ids = [ws.mutate.post_message(room, owner, f"m{i}")["_id"] for i in range(15)]
    ws.clock.advance(1)
    for mid in reversed(ids):  # deletion order differs from update order
        ws.mutate.delete_message(mid, owner)
    deleted, watermark, rejected = fetch_deleted_message_ids(client, room, 0)
    assert rejected == []
    assert {doc["_id"] for doc in deleted} == set(ids) and watermark > 0
    # Forced into small DELETED pages, the walker notices the full page and falls back to
    # chat.getDeletedMessages for the same window.
    small, _, _ = fetch_deleted_message_ids(client, room, 0, count=2)
    assert {doc["_id"] for doc in small} == set(ids)
    assert server.request_log.count("chat.getDeletedMessages") >= 1
