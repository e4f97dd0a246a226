"""Plain generators over Rocket.Chat's paging schemes: offset pages, message cursors, deltas.

They only fetch and page; filtering, normalising and writing happen in `etl.sync`. Every position
they hand back (offsets, cursors, watermarks) comes from what the server returned, never from the
local clock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from etl.client import Client
from etl.endpoints import DELETED_MESSAGES, SYNC_MESSAGES, Endpoint, items_at
from etl.intake import LenientBody, Rejected, rejected_ids, screen, unique, watermark_bound
from etl.timestamps import MAX_MS, doc_ms, ms_to_iso

Doc = dict[str, Any]
log = logging.getLogger(__name__)
# A page of nothing but ties at one millisecond doubles `count`; this many doublings without a
# new document means the server does not move (or more ties than any real burst).
MAX_TIE_DOUBLINGS = 6


class WalkError(RuntimeError):
    """The server answered in a way that would make the walk lose or repeat data."""


def _screen(
    body: dict[str, Any], items: Any, *stamps: str, required: tuple[str, ...] = ()
) -> tuple[list[Doc], list[Rejected]]:
    lenient = isinstance(body, LenientBody)
    return screen(items, stamps or ("_updatedAt",), required=required, lenient=lenient)


def _object_at(doc: Doc, key: str) -> Doc:
    """`doc[key]` when it is an object, else an empty one (servers omit or null these)."""
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _list_at(doc: Doc, key: str) -> list[Any]:
    value = doc.get(key)
    return value if isinstance(value, list) else []


@dataclass
class Future:
    """Documents dated after the server's own time: kept, but they do not move a watermark."""

    ids: list[str] = field(default_factory=list)
    latest_ms: int = 0
    bound_ms: int = 0

    def add(self, doc_id: str, ms: int, bound: int) -> None:
        self.ids.append(doc_id)
        self.latest_ms, self.bound_ms = max(self.latest_ms, ms), bound


def bounded_watermark(
    since_ms: int | None, stamped: list[tuple[str, int]], bound: int, future: Future
) -> int:
    """The highest timestamp at or below `bound` (the server's time); the others go to `future`."""
    high = since_ms or 0
    for doc_id, ms in stamped:
        if ms > bound:
            future.add(doc_id, ms, bound)
        elif ms > high:
            high = ms
    return high


# --- offset pages -------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Doc]
    offset: int  # the offset after this page: where a resumed walk starts
    total: int | None
    rejected: list[Rejected] = field(default_factory=list)


def fetch_offset_pages(
    client: Client,
    endpoint: Endpoint,
    params: dict[str, Any] | None = None,
    *,
    page_size: int = 100,
    start: int = 0,
    count_zero: bool = True,
    expect: int | None = None,
) -> Iterator[Page]:
    """Walk an offset-paged list, advancing by the number of items received.

    The server silently clamps `count` (and `count=0`, "everything", when API_Allow_Infinite_Count
    is off), and `total` may lie (proxies and old versions report the page size), so a page as
    full as asked always asks for the next one. A walk ends on an empty page, on a page smaller
    than an earlier page of the walk or than an answer of this endpoint already proven complete
    (`complete_sizes`: such a page cannot have been clamped), or on a page smaller than asked
    whose `total` agrees. A `count=0` answer is never taken as the end on `total` alone: a
    confirming page follows, unless the answer is smaller than an earlier `count=0` answer of
    this server (`ANY_COUNT_ZERO`: one setting clamps them all). A page served twice means the
    server ignores `offset`, which would loop forever: that is an error naming the endpoint.

    `expect` is how many items the caller expects (what the database holds of this listing):
    below `page_size`, one page is asked instead of `count=0`, whose answer could need a
    confirming request; a page fuller than expected pages on as usual.
    """
    base = dict(endpoint.params)
    if endpoint.sort:
        base["sort"] = endpoint.sort
    base.update(params or {})
    proven = _complete_sizes(client)
    offset, largest, last = start, 0, 0
    served: dict[tuple[Any, ...], int] = {}  # each page's ids -> the offset that served them
    everything = count_zero and endpoint.count_zero and start == 0
    ask = 0 if everything and (expect is None or expect >= page_size) else page_size
    while True:
        body = client.get(endpoint.name, {**base, "offset": offset, "count": ask})
        raw = items_at(body, endpoint.items_key)
        items, rejected = _screen(body, raw)
        total = body.get("total") if type(body.get("total")) is int else None
        ids = tuple(doc["_id"] for doc in items) + tuple(repr(r.raw)[:200] for r in rejected)
        if raw and ids in served:
            raise WalkError(
                f"{endpoint.name}: offset {offset} returned the page of offset {served[ids]} "
                f"again; the server does not move through the list (walk stopped after "
                f"{len(served) + 1} requests)"
            )
        served[ids] = offset
        offset += len(raw)
        yield Page(items, offset, total, rejected)
        if not raw:
            if last:  # the previous page was complete: an answer this large is not clamped
                proven[endpoint.name] = max(proven.get(endpoint.name, 0), last)
            return
        if 0 < ask <= len(raw):  # as full as asked: there may be more, whatever `total` says
            pass
        elif len(raw) < largest or len(raw) < proven.get(endpoint.name, 0):
            return
        elif ask == 0 and len(raw) < proven.get(ANY_COUNT_ZERO, 0):
            return  # an earlier count=0 answer was larger: this one was not clamped
        elif ask and total is not None and offset >= total:
            return  # smaller than asked, and `total` agrees (count=0 answers are confirmed)
        if ask == 0:
            proven[ANY_COUNT_ZERO] = max(proven.get(ANY_COUNT_ZERO, 0), len(raw))
        largest, last, ask = max(largest, len(raw)), len(raw), page_size


# The key of `complete_sizes` under which the largest `count=0` answer of any endpoint is kept.
# Every `count_zero` endpoint pages through getPaginationItems, where `count=0` becomes
# API_Default_Count when API_Allow_Infinite_Count is off: one limit for the whole server, so an
# answer of n items proves that limit is at least n, and any smaller `count=0` answer is whole.
ANY_COUNT_ZERO = "count=0 (any endpoint)"


def _complete_sizes(client: Client) -> dict[str, int]:
    """Per endpoint, the largest answer proven complete by an empty next page, kept on the client
    (one server): later smaller answers end their walk without a confirming request. Also the
    largest `count=0` answer of the server (`ANY_COUNT_ZERO`)."""
    return client.complete_sizes


# --- chat.syncMessages cursor mode ----------------------------------------------------------


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
        result = _object_at(body, "result")
        raw = _list_at(result, key)
        items, rejected = _screen(body, raw, stamp, required=(stamp,))
        fresh, stale, future = walk.take(items, start, bound)
        rejected = unique(rejected, walk.rejected)
        yield CursorPage(fresh, walk.high, sorted(walk.edge), rejected, future)
        if not fresh and stale:
            raise WalkError(
                f"chat.syncMessages (room {room_id}, type={kind}): next={start} answered "
                f"{stale} document(s) from before the cursor and nothing new; the server does "
                f"not move the cursor (walk stopped after {requests} requests)"
            )
        cursor = _object_at(result, "cursor")
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
    result = _object_at(body, "result")
    updated, bad = _screen(body, result.get("updated"))
    deleted, bad_deleted = _screen(body, result.get("deleted"), "_deletedAt", "_updatedAt")
    future = Future()
    stamped = [(doc["_id"], doc_ms(doc)) for doc in updated]
    watermark = bounded_watermark(since_ms, stamped, watermark_bound(client), future)
    return Changes(updated, deleted, bad + bad_deleted, watermark, future)


# --- updatedSince deltas --------------------------------------------------------------------


@dataclass
class Delta:
    update: list[Doc]
    remove: list[Doc]
    watermark_ms: int
    rejected: list[Rejected] = field(default_factory=list)
    future: Future = field(default_factory=Future)


def fetch_delta(
    client: Client,
    endpoint: Endpoint,
    since_ms: int | None,
    params: dict[str, Any] | None = None,
) -> Delta:
    """An `updatedSince` endpoint: `{update, remove}` since the watermark (everything when None).

    The watermark moves to the highest `_updatedAt`/`_deletedAt` the server returned, never past
    the server's own time; `updatedSince` is a strict `$gt`, so records that tie the old
    watermark are asked for again by starting 1 ms early (upserts make the repeat harmless).
    """
    query = dict(params or {})
    if since_ms is not None and endpoint.delta_param:
        query[endpoint.delta_param] = ms_to_iso(max(since_ms - 1, 0))
    body = client.get(endpoint.name, query)
    update, bad = _screen(body, items_at(body, endpoint.items_key))
    remove: list[Doc] = []
    if endpoint.remove_key:
        found = items_at(body, endpoint.remove_key)
        remove, bad_removed = _screen(body, found, "_deletedAt", "_updatedAt")
        bad += bad_removed
    stamped = [(d["_id"], doc_ms(d)) for d in update]
    stamped += [(d["_id"], doc_ms(d, "_deletedAt")) for d in remove]
    future = Future()
    watermark = bounded_watermark(since_ms, stamped, watermark_bound(client), future)
    return Delta(update, remove, watermark, bad, future)


__all__ = ["Client", "CursorPage", "Delta", "Page", "Rejected", "WalkError", "rejected_ids"]
