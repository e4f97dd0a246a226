"""Plain generators over Rocket.Chat's paging schemes: offset pages and `updatedSince` deltas
(message cursors are `etl.message_walkers`).

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
from etl.endpoints import Endpoint, items_at
from etl.intake import LenientBody, Rejected, rejected_ids, screen, watermark_bound
from etl.timestamps import doc_ms, ms_to_iso

Doc = dict[str, Any]
log = logging.getLogger(__name__)


class WalkError(RuntimeError):
    """The server answered in a way that would make the walk lose or repeat data."""


def screen_items(
    body: dict[str, Any], items: Any, *stamps: str, required: tuple[str, ...] = ()
) -> tuple[list[Doc], list[Rejected]]:
    lenient = isinstance(body, LenientBody)
    return screen(items, stamps or ("_updatedAt",), required=required, lenient=lenient)


def object_at(doc: Doc, key: str) -> Doc:
    """`doc[key]` when it is an object, else an empty one (servers omit or null these)."""
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def list_at(doc: Doc, key: str) -> list[Any]:
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
        items, rejected = screen_items(body, raw)
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
    update, bad = screen_items(body, items_at(body, endpoint.items_key))
    remove: list[Doc] = []
    if endpoint.remove_key:
        found = items_at(body, endpoint.remove_key)
        remove, bad_removed = screen_items(body, found, "_deletedAt", "_updatedAt")
        bad += bad_removed
    stamped = [(d["_id"], doc_ms(d)) for d in update]
    stamped += [(d["_id"], doc_ms(d, "_deletedAt")) for d in remove]
    future = Future()
    watermark = bounded_watermark(since_ms, stamped, watermark_bound(client), future)
    return Delta(update, remove, watermark, bad, future)


__all__ = ["Client", "Delta", "Page", "Rejected", "WalkError", "rejected_ids"]
