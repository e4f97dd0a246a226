"""Plain generators over Rocket.Chat's paging schemes: offset pages, message cursors, deltas.

They only fetch and page; filtering, normalising and writing happen in `etl.sync`. Every position
they hand back (offsets, cursors, watermarks) comes from what the server returned, never from the
local clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from etl.catalogue import DELETED_MESSAGES, Endpoint, items_at

Doc = dict[str, Any]


class Client(Protocol):
    def get(self, endpoint: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...


class WalkError(RuntimeError):
    """The server answered in a way that would make the walk lose or repeat data."""


def iso_to_ms(value: str | None) -> int | None:
    """Rocket.Chat dates are ISO-8601 UTC with milliseconds and a Z; cursors are epoch ms."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return round(parsed.timestamp() * 1000)


def ms_to_iso(ms: int) -> str:
    stamp = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def doc_ms(doc: Doc, key: str = "_updatedAt") -> int:
    value = doc.get(key)
    if isinstance(value, dict):  # EJSON {"$date": ...} only in dumps, tolerated anyway
        value = value.get("$date")
    if isinstance(value, int | float):
        return int(value)
    return iso_to_ms(value) or 0 if isinstance(value, str) else 0


# --- offset pages -------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Doc]
    offset: int  # the offset after this page: where a resumed walk starts
    total: int | None


def fetch_offset_pages(
    client: Client,
    endpoint: Endpoint,
    params: dict[str, Any] | None = None,
    *,
    page_size: int = 100,
    start: int = 0,
    count_zero: bool = True,
) -> Iterator[Page]:
    """Walk an offset-paged list, advancing by the number of items received.

    The server silently clamps `count`, so the offset moves by `len(items)` and a page is only
    "short" compared with the largest page seen. `count=0` asks for everything at once where the
    endpoint allows it; a server with API_Allow_Infinite_Count off answers a default-size page
    instead and the walk goes on from there. A page that repeats the previous one means the server
    ignores `offset`, which would loop forever: that is an error, not the end.
    """
    base = dict(endpoint.params)
    if endpoint.sort:
        base["sort"] = endpoint.sort
    base.update(params or {})
    offset, largest, previous_ids = start, 0, None
    ask = 0 if (count_zero and endpoint.count_zero and start == 0) else page_size
    while True:
        body = client.get(endpoint.name, {**base, "offset": offset, "count": ask})
        items = items_at(body, endpoint.items_key)
        total = body.get("total") if isinstance(body.get("total"), int) else None
        ids = [item.get("_id") for item in items]
        if items and ids == previous_ids:
            raise WalkError(f"{endpoint.name}: offset {offset} returned the previous page again")
        offset += len(items)
        yield Page(items, offset, total)
        largest = max(largest, len(items))
        if not items or (total is not None and offset >= total):
            return
        if total is None and (ask == 0 or len(items) < largest):
            return
        previous_ids, ask = ids, page_size


# --- chat.syncMessages cursor mode ----------------------------------------------------------


@dataclass
class CursorPage:
    items: list[Doc]  # new in this walk (deduplicated by _id)
    watermark_ms: int  # highest timestamp seen so far
    edge_ids: list[str] = field(default_factory=list)  # ids seen at exactly watermark_ms


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
    """
    kind, key, stamp = (
        ("DELETED", "deleted", "_deletedAt") if deleted else ("UPDATED", "updated", "_updatedAt")
    )
    high, edge = since_ms, set(edge_ids or ())
    ask = count
    while True:
        start = max(high - 1, 0) if high else 0
        params = {"roomId": room_id, "type": kind, "next": str(start), "count": ask}
        body = client.get("chat.syncMessages", params)
        result = body.get("result") or {}
        items = result.get(key) or []
        # Only a repeat of the boundary millisecond is a duplicate: an id seen there that was
        # changed since comes back with a newer stamp and is new data.
        fresh = [doc for doc in items if doc.get("_id") not in edge or doc_ms(doc, stamp) > high]
        for doc in fresh:
            ms = doc_ms(doc, stamp)
            if ms > high:
                high, edge = ms, set()
            if ms == high:
                edge.add(doc["_id"])
        yield CursorPage(fresh, high, sorted(edge))
        cursor = result.get("cursor") or {}
        if len(items) < ask or not cursor.get("next"):
            return
        ask = ask * 2 if not fresh else count


def fetch_deleted_message_ids(
    client: Client, room_id: str, since_ms: int, *, count: int = 10_000
) -> tuple[list[Doc], int]:
    """Deletions in a room since `since_ms`: `[{_id, _deletedAt}]` and the new watermark.

    type=DELETED filters and builds its cursor on `_deletedAt` but sorts on `_updatedAt`, so paging
    in small pages skips tombstones: ask for one big page. If even that is full, fall back to
    chat.getDeletedMessages (ids only, offset-paged) for the same window.
    """
    pages = fetch_message_cursor(client, room_id, since_ms, count=count, deleted=True)
    first = next(pages)
    if len(first.items) < count:
        return first.items, first.watermark_ms
    since = ms_to_iso(max(since_ms - 1, 0))
    ids: list[Doc] = []
    for page in fetch_offset_pages(client, DELETED_MESSAGES, {"roomId": room_id, "since": since}):
        ids.extend({"_id": doc["_id"], "_deletedAt": None} for doc in page.items)
    return ids, first.watermark_ms


# --- fallbacks for servers without cursor mode ---------------------------------------------


def fetch_messages_last_update(
    client: Client, room_id: str, since_ms: int
) -> tuple[list[Doc], list[Doc]]:
    """chat.syncMessages lastUpdate mode: every change since `since_ms`, unpaginated."""
    params = {"roomId": room_id, "lastUpdate": ms_to_iso(max(since_ms - 1, 0))}
    result = client.get("chat.syncMessages", params).get("result") or {}
    return list(result.get("updated") or []), list(result.get("deleted") or [])


# --- updatedSince deltas --------------------------------------------------------------------


@dataclass
class Delta:
    update: list[Doc]
    remove: list[Doc]
    watermark_ms: int


def fetch_delta(
    client: Client,
    endpoint: Endpoint,
    since_ms: int | None,
    params: dict[str, Any] | None = None,
) -> Delta:
    """An `updatedSince` endpoint: `{update, remove}` since the watermark (everything when None).

    The watermark moves to the highest `_updatedAt`/`_deletedAt` the server returned; `updatedSince`
    is a strict `$gt`, so records that tie the old watermark are asked for again by starting 1 ms
    early (upserts make the repeat harmless).
    """
    query = dict(params or {})
    if since_ms is not None and endpoint.delta_param:
        query[endpoint.delta_param] = ms_to_iso(max(since_ms - 1, 0))
    body = client.get(endpoint.name, query)
    update = items_at(body, endpoint.items_key)
    remove = items_at(body, endpoint.remove_key) if endpoint.remove_key else []
    stamps = [doc_ms(d) for d in update] + [doc_ms(d, "_deletedAt") for d in remove]
    return Delta(update, remove, max([since_ms or 0, *stamps]))
