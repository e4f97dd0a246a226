"""Walking a room's messages: chat.syncMessages in cursor mode (updates and deletions), and its
unpaginated `lastUpdate` mode for servers without cursors.

Like `etl.walkers`, they only fetch and page, and every position comes from what the server
returned, never from the local clock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from etl.client import Client
from etl.endpoints import DELETED_MESSAGES, SYNC_MESSAGES
from etl.intake import Rejected, unique, watermark_bound
from etl.timestamps import MAX_MS, doc_ms, ms_to_iso
from etl.walkers import (
    Doc,
    Future,
    WalkError,
    bounded_watermark,
    fetch_offset_pages,
    list_at,
    object_at,
    screen_items,
)

log = logging.getLogger(__name__)
# A page of nothing but ties at one millisecond doubles `count`; this many doublings without a
# new document means the server does not move (or more ties than any real burst).
MAX_TIE_DOUBLINGS = 6


# --- cursor mode ----------------------------------------------------------


@dataclass
class CursorPage:
    items: list[Doc]  # new in this walk (deduplicated by _id)
    watermark_ms: int  # highest timestamp seen so far, never past the server's time
    edge_ids: list[str] = field(default_factory=list)  # ids seen at exactly watermark_ms
    rejected: list[Rejected] = field(default_factory=list)
    future: Future = field(default_factory=Future)


class _CursorWalk:
    """The state of one cursor walk: the watermark, the ids seen at it, the future-dated ids."""

    def __init__(self, since_ms: int, edge_ids: list[str] | None, stamp: str) -> None:
        self.high, self.edge, self.stamp = since_ms, set(edge_ids or ()), stamp
        self.future_ids: set[str] = set()
        self.rejected: set[tuple[str, str]] = set()  # bad items reported (the overlap repeats)

    def take(self, items: list[Doc], start: int, bound: int) -> tuple[list[Doc], int, Future]:
        """The new documents of a page, how many lay at or before the cursor, the future ones.

        Only a repeat of the boundary millisecond is a duplicate: an id seen there that was
        changed since comes back with a newer stamp and is new data."""
        fresh: list[Doc] = []
        stale = 0
        future = Future()
        for doc in items:
            ms, doc_id = doc_ms(doc, self.stamp), doc["_id"]
            if start and ms <= start:
                stale += 1  # the cursor is a strict $gt: a server that honours it never sends these
            elif ms > bound:
                if doc_id not in self.future_ids:
                    self.future_ids.add(doc_id)
                    future.add(doc_id, ms, bound)
                    fresh.append(doc)
            elif ms == self.high and doc_id in self.edge:
                continue  # a tie at the boundary millisecond, already seen
            elif ms < self.high:
                fresh.append(doc)  # an unsorted page: new, but it does not move the boundary
            else:
                if ms > self.high:
                    self.high, self.edge = ms, set()
                self.edge.add(doc_id)
                fresh.append(doc)
        return fresh, stale, future


def fetch_message_cursor(
    client: Client,
    room_id: str,
    since_ms: int = 0,
    *,
    count: int = 1000,
    edge_ids: list[str] | None = None,
    deleted: bool = False,
) -> Iterator[CursorPage]:
    """chat.syncMessages?type=UPDATED|DELETED&next=..., oldest first.

    The cursor is a strict `$gt` on epoch ms, and several documents can share the boundary
    millisecond, so each request starts 1 ms before the highest timestamp seen and drops the ids
    already seen there. A page made only of already-seen ties means more than `count` documents
    share a millisecond: the next request doubles `count` rather than skipping them.

    Guards: documents dated after the server's own time are kept but never move the watermark;
    a server that answers documents from before the cursor (it ignores `next`), or that brings
    nothing new after MAX_TIE_DOUBLINGS doublings, ends the walk with a WalkError.
    """
    kind, key, stamp = (
        ("DELETED", "deleted", "_deletedAt") if deleted else ("UPDATED", "updated", "_updatedAt")
    )
    bound = watermark_bound(client)
    if since_ms > bound:
        log.warning(
            "room %s: watermark %s lies past the server's time %s; walking the room again",
            room_id, ms_to_iso(min(since_ms, MAX_MS)), ms_to_iso(bound),
        )  # fmt: skip
        since_ms, edge_ids = 0, None
    walk = _CursorWalk(since_ms, edge_ids, stamp)
    ask, doublings, requests = count, 0, 0
    while True:
        start = max(walk.high - 1, 0) if walk.high else 0
        params = {"roomId": room_id, "type": kind, "next": str(start), "count": ask}
        body = client.get(SYNC_MESSAGES.name, params)
        requests += 1
        bound = watermark_bound(client)
        result = object_at(body, "result")
        raw = list_at(result, key)
        items, rejected = screen_items(body, raw, stamp, required=(stamp,))
        fresh, stale, future = walk.take(items, start, bound)
        rejected = unique(rejected, walk.rejected)
        yield CursorPage(fresh, walk.high, sorted(walk.edge), rejected, future)
        if not fresh and stale:
            raise WalkError(
                f"chat.syncMessages (room {room_id}, type={kind}): next={start} answered "
                f"{stale} document(s) from before the cursor and nothing new; the server does "
                f"not move the cursor (walk stopped after {requests} requests)"
            )
        cursor = object_at(result, "cursor")
        if len(raw) < ask or not cursor.get("next"):
            return
        doublings = 0 if fresh else doublings + 1
        if doublings > MAX_TIE_DOUBLINGS:
            raise WalkError(
                f"chat.syncMessages (room {room_id}, type={kind}): next={start} brought nothing "
                f"new in {requests} requests up to count={ask}; the cursor does not advance"
            )
        ask = ask * 2 if not fresh else count


def fetch_deleted_message_ids(
    client: Client, room_id: str, since_ms: int, *, count: int = 10_000
) -> tuple[list[Doc], int, list[Rejected]]:
    """Deletions in a room since `since_ms`: `[{_id, _deletedAt}]`, the new watermark and the
    items that could not be read.

    type=DELETED filters and builds its cursor on `_deletedAt` but sorts on `_updatedAt`, so paging
    in small pages skips tombstones: ask for one big page. If even that is full, fall back to
    chat.getDeletedMessages (ids only, offset-paged) for the same window.
    """
    pages = fetch_message_cursor(client, room_id, since_ms, count=count, deleted=True)
    first = next(pages)
    if len(first.items) + len(first.rejected) < count:
        return first.items, first.watermark_ms, first.rejected
    since = ms_to_iso(max(since_ms - 1, 0))
    ids: list[Doc] = []
    rejected = list(first.rejected)
    for page in fetch_offset_pages(client, DELETED_MESSAGES, {"roomId": room_id, "since": since}):
        ids.extend({"_id": doc["_id"], "_deletedAt": None} for doc in page.items)
        rejected.extend(page.rejected)
    return ids, first.watermark_ms, rejected


# --- fallbacks for servers without cursor mode ---------------------------------------------


@dataclass
class Changes:
    """An unpaginated answer: updates, deletions, items that could not be read."""

    updated: list[Doc]
    deleted: list[Doc]
    rejected: list[Rejected]
    watermark_ms: int
    future: Future


def fetch_messages_last_update(client: Client, room_id: str, since_ms: int) -> Changes:
    """chat.syncMessages lastUpdate mode: every change since `since_ms`, unpaginated."""
    params = {"roomId": room_id, "lastUpdate": ms_to_iso(max(since_ms - 1, 0))}
    body = client.get(SYNC_MESSAGES.name, params)
    result = object_at(body, "result")
    updated, bad = screen_items(body, result.get("updated"))
    deleted, bad_deleted = screen_items(body, result.get("deleted"), "_deletedAt", "_updatedAt")
    future = Future()
    stamped = [(doc["_id"], doc_ms(doc)) for doc in updated]
    watermark = bounded_watermark(since_ms, stamped, watermark_bound(client), future)
    return Changes(updated, deleted, bad + bad_deleted, watermark, future)
