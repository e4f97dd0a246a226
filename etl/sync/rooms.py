"""Rooms: enumerate every room this token may know of, detect the changed ones, apply deletions.

Sources, cheapest signal first:
- `rooms.get?updatedSince=`: the caller's changed rooms, and in `remove` every room deleted
  server-wide since then.
- `channels.list`, `groups.listAll`, `im.list.everyone` (admin): full room documents with
  `_updatedAt`, walked newest first and stopped at the watermark. channels.list hides team channels
  the caller has not joined, so
- `rooms.adminRooms` (admin, one `count=0` request) completes the list; it has no `_updatedAt`, so
  it only adds rooms never seen before (and tells which rooms disappeared, on full runs).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select

from etl.endpoints import ADMIN_ROOMS, ROOM_LISTINGS, ROOMS_GET, Endpoint
from etl.errors import ApiError, BadRequestError, NotFoundError, PermissionDeniedError
from etl.intake import Rejected, rejected_ids, screen, unique, watermark_bound
from etl.schema.synced import Message, Room
from etl.state import Checkpoint, load_checkpoint
from etl.sync.context import SyncContext, log
from etl.sync.page_writer import PageWrite, write_page
from etl.timestamps import deletion_time, doc_ms
from etl.view_limits import HIDDEN_WITHOUT, is_refusal
from etl.walkers import Doc, Future, bounded_watermark, fetch_delta, fetch_offset_pages

ROOMS = Room.__table__
MESSAGES = Message.__table__
NEWEST_FIRST = orjson.dumps({"_updatedAt": -1, "_id": 1}).decode()


def sync_rooms(ctx: SyncContext) -> None:
    with ctx.engine.connect() as conn:
        old = load_checkpoint(conn, "rooms")
        query = select(ROOMS.c.id, ROOMS.c.raw).where(ROOMS.c.deleted_at.is_(None))
        stored = {row.id: row.raw for row in conn.execute(query)}
    known = set(stored)
    full = ctx.full or old is None or "rooms" in ctx.reconcile
    since = None if full else old.watermark_ms if old else None
    delta = fetch_delta(ctx.client, ROOMS_GET, since)
    rejected = list(delta.rejected)
    docs: dict[str, Doc] = {doc["_id"]: doc for doc in delta.update}
    for endpoint in ROOM_LISTINGS:
        for doc in _changed_rooms(ctx, endpoint, since, rejected):
            current = docs.get(doc["_id"])
            if current is None or doc_ms(doc) > doc_ms(current):
                docs[doc["_id"]] = doc
    listed = _admin_room_ids(ctx, docs, stored, rejected)
    removed = {doc["_id"]: deletion_time(doc) for doc in delta.remove}
    if full and listed is not None:
        # Rooms gone from a complete listing whose trash record expired (or never reached a delta).
        for room_id in known - listed - set(removed) - rejected_ids(rejected):
            removed[room_id] = None
    removed = {room_id: when for room_id, when in removed.items() if room_id in known}
    _delete_room_messages(ctx, removed)
    stamped = [(doc["_id"], doc_ms(doc)) for doc in docs.values()]
    stamped += [(doc["_id"], doc_ms(doc, "_deletedAt")) for doc in delta.remove]
    future = Future()
    watermark = bounded_watermark(since, stamped, watermark_bound(ctx.client), future) or None
    checkpoint = Checkpoint("rooms", "", watermark_ms=watermark, status="complete")
    page = PageWrite("rooms", "rooms", list(docs.values()), list(removed.items()), [checkpoint])
    page.only_changed = True
    page.rejected, page.future = unique(rejected), future
    write_page(ctx, page)
    log.info("rooms: %d changed, %d deleted", len(docs), len(removed))


def _changed_rooms(
    ctx: SyncContext, endpoint: Endpoint, since: int | None, rejected: list[Rejected]
) -> list[Doc]:
    """A full listing, or newest first down to the watermark. Rooms updated while we page move to
    the front, so they show up twice at worst, never skipped (the next run catches them anyway)."""
    params: dict[str, Any] = {} if since is None else {"sort": NEWEST_FIRST}
    found: list[Doc] = []
    try:
        pages = fetch_offset_pages(
            ctx.client,
            endpoint,
            params,
            page_size=ctx.settings.sync.page_size,
            count_zero=since is None,
        )
        for page in pages:
            rejected.extend(page.rejected)
            fresh = [doc for doc in page.items if since is None or doc_ms(doc) >= since]
            found.extend(fresh)
            if len(fresh) < len(page.items):
                break
    except (PermissionDeniedError, BadRequestError) as exc:
        log.info(
            "%s not available to this token (%s); using the caller's rooms", endpoint.name, exc
        )
        _note_refusal(ctx, endpoint, exc)
    return found


def _note_refusal(ctx: SyncContext, endpoint: Endpoint, exc: ApiError) -> None:
    """A listing refused for want of a permission leaves rooms unseen: the run must say so."""
    if is_refusal(exc):
        for permission in endpoint.permissions:
            if permission in HIDDEN_WITHOUT:
                ctx.summary.limit_view(permission)


def _admin_room_ids(
    ctx: SyncContext, docs: dict[str, Doc], stored: dict[str, Doc], rejected: list[Rejected]
) -> set[str] | None:
    """Every room id on the server (None without view-room-administration).

    The admin projection lacks `_updatedAt`, so a room no listing above returned (a team channel
    the caller has not joined) is compared field by field with the stored document; when new or
    different, rooms.info supplies the full document and with it the change signal."""
    listed: set[str] = set()
    try:
        size = ctx.settings.sync.page_size
        expect = len(stored) or None  # fewer rooms than a page: one page, nothing to confirm
        for page in fetch_offset_pages(ctx.client, ADMIN_ROOMS, page_size=size, expect=expect):
            rejected.extend(page.rejected)
            for doc in page.items:
                room_id = doc["_id"]
                listed.add(room_id)
                old = stored.get(room_id)
                if room_id in docs or (old and all(old.get(k) == v for k, v in doc.items())):
                    continue
                docs[room_id] = _room_info(ctx, room_id, rejected) or doc
    except (PermissionDeniedError, BadRequestError) as exc:
        log.info("rooms.adminRooms not available to this token (%s)", exc)
        _note_refusal(ctx, ADMIN_ROOMS, exc)
        return None
    return listed


def _room_info(ctx: SyncContext, room_id: str, rejected: list[Rejected]) -> Doc | None:
    try:
        room = ctx.client.get("rooms.info", {"roomId": room_id}).get("room")
    except (PermissionDeniedError, BadRequestError, NotFoundError):
        return None
    good, bad = screen([room]) if room is not None else ([], [])
    rejected.extend(bad)
    return good[0] if good and good[0]["_id"] == room_id else None


def _delete_room_messages(ctx: SyncContext, removed: dict[str, Any]) -> None:
    """An erased room's messages go to the trash with it; the room's message stream is gone, so
    they are marked here, before the room's own deletion and checkpoint commit."""
    for room_id, when in removed.items():
        with ctx.engine.connect() as conn:
            query = select(MESSAGES.c.id).where(
                MESSAGES.c.rid == room_id, MESSAGES.c.deleted_at.is_(None)
            )
            ids = [row.id for row in conn.execute(query)]
        if ids:
            write_page(ctx, PageWrite("messages", "messages", deletions=[(i, when) for i in ids]))
