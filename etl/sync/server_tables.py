"""The small server-wide tables: roles, permissions, subscriptions, custom emoji and sounds,
teams, public settings, users.

Two shapes. Delta tables (`updatedSince` → `{update, remove}`) load everything once, then only
what changed, with the `remove` list applied. Scan tables have no delta parameter: they are listed
in full (one `count=0` request where the server allows it), only rows whose document changed are
written, and ids that disappeared from the listing are deletions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from etl.catalogue import FALLBACKS, RESOURCES
from etl.endpoints import USERS_BY_UPDATE, Endpoint, ResourceSpec
from etl.errors import PermissionDeniedError
from etl.intake import Rejected, rejected_ids, watermark_bound
from etl.schema import metadata
from etl.state import Checkpoint, load_checkpoint
from etl.sync.context import SyncContext, log
from etl.sync.page_writer import PageWrite, write_page
from etl.timestamps import deletion_time, doc_ms
from etl.walkers import Doc, Future, bounded_watermark, fetch_delta, fetch_offset_pages

EPOCH_MS = 0


def _stored(ctx: SyncContext, table: str) -> dict[str, Any]:
    """id → raw document of the live rows, to write only what changed and to diff ids."""
    columns = metadata.tables[table].c
    query = select(columns.id, columns.raw).where(columns.deleted_at.is_(None))
    with ctx.engine.connect() as conn:
        return {row.id: row.raw for row in conn.execute(query)}


def _checkpoint(
    ctx: SyncContext, resource: str, docs: Iterable[Doc], old: Checkpoint | None
) -> tuple[Checkpoint, Future]:
    """The highest `_updatedAt` listed, never past the server's time (the rest: `Future`)."""
    future = Future()
    stamped = [(doc["_id"], doc_ms(doc)) for doc in docs]
    since = old.watermark_ms or 0 if old else 0
    watermark = bounded_watermark(since, stamped, watermark_bound(ctx.client), future) or None
    return Checkpoint(resource, "", watermark_ms=watermark, status="complete"), future


def _load(ctx: SyncContext, resource: str) -> Checkpoint | None:
    with ctx.engine.connect() as conn:
        return load_checkpoint(conn, resource)


def stored_count(ctx: SyncContext, table: str) -> int | None:
    """How many live rows the table holds (None when empty: a first load, size unknown)."""
    columns = metadata.tables[table].c
    query = select(func.count()).select_from(metadata.tables[table])
    with ctx.engine.connect() as conn:
        return conn.execute(query.where(columns.deleted_at.is_(None))).scalar() or None


def read_listing(
    ctx: SyncContext,
    endpoint: Endpoint,
    params: dict[str, Any] | None = None,
    expect: int | None = None,
) -> tuple[list[Doc], list[Rejected]]:
    if endpoint.paging == "offset":
        docs: list[Doc] = []
        rejected: list[Rejected] = []
        size = ctx.settings.sync.page_size
        for page in fetch_offset_pages(ctx.client, endpoint, params, page_size=size, expect=expect):
            docs.extend(page.items)
            rejected.extend(page.rejected)
        return docs, rejected
    delta = fetch_delta(ctx.client, endpoint, None, params)
    return delta.update, delta.rejected


def write_scan(
    ctx: SyncContext,
    spec: ResourceSpec,
    listing: tuple[list[Doc], list[Rejected]],
    diff: bool,
) -> Checkpoint:
    """Write the listed documents that differ from the stored ones; ids gone from a complete
    listing are deletions (an id listed but quarantined is not gone)."""
    docs, rejected = listing
    stored = _stored(ctx, spec.table)
    changed = [doc for doc in docs if stored.get(doc["_id"]) != doc]
    listed = {doc["_id"] for doc in docs} | rejected_ids(rejected)
    gone = set(stored) - listed if diff else set()
    checkpoint, future = _checkpoint(ctx, spec.name, docs, None)
    write_page(
        ctx,
        PageWrite(
            spec.name,
            spec.table,
            docs=changed,
            deletions=[(doc_id, None) for doc_id in sorted(gone)],
            checkpoints=[checkpoint],
            rejected=rejected,
            future=future,
        ),
    )
    return checkpoint


def sync_delta_table(ctx: SyncContext, resource: str) -> None:
    """roles, permissions, subscriptions, custom_emoji: full listing first, `updatedSince` after."""
    spec = RESOURCES[resource]
    old = _load(ctx, resource)
    since = None if old is None else old.watermark_ms
    full = ctx.full or since is None or resource in ctx.reconcile
    if not full and spec.delta is not None:
        delta = fetch_delta(ctx.client, spec.delta, since)
        removed = [(doc["_id"], deletion_time(doc)) for doc in delta.remove]
        checkpoint = Checkpoint(resource, "", watermark_ms=delta.watermark_ms, status="complete")
        page = PageWrite(resource, spec.table, delta.update, removed, [checkpoint])
        page.rejected, page.future = delta.rejected, delta.future
        # The first load's watermark is the newest live document, so the first delta also
        # reports deletions from before that load: only rows we hold are deletions to apply.
        page.only_changed = page.only_live_deletions = True
        write_page(ctx, page)
        return
    docs, rejected = read_listing(ctx, spec.full)
    if spec.delta is not None and not any("_updatedAt" in doc for doc in docs):
        # roles.list projects _updatedAt out: take the dated documents (and with them the
        # watermark) from the delta endpoint asked from the epoch, before writing, so a listing
        # equal to the stored rows writes nothing. roles.sync without updatedSince returns nothing.
        delta = fetch_delta(ctx.client, spec.delta, EPOCH_MS + 1)
        dated = {doc["_id"]: doc for doc in delta.update}
        listed = {doc["_id"] for doc in docs}
        docs = [dated.get(doc["_id"], doc) for doc in docs]
        docs += [doc for doc_id, doc in dated.items() if doc_id not in listed]
        rejected = rejected + delta.rejected
    write_scan(ctx, spec, (docs, rejected), diff=True)


def sync_scan_table(ctx: SyncContext, resource: str) -> None:
    """custom_sounds, teams, settings: no delta parameter exists, list them in full."""
    spec = RESOURCES[resource]
    try:
        # A listing smaller than a page is asked as one page: no `count=0` answer to confirm.
        listing = read_listing(ctx, spec.full, expect=stored_count(ctx, spec.table))
    except PermissionDeniedError:
        if resource not in FALLBACKS:
            raise
        # Only the caller's share (teams.list): absent rows are not deletions.
        log.info("%s: %s not permitted, listing the caller's own", resource, spec.full.name)
        for permission in spec.full.permissions:
            ctx.summary.limit_view(permission)
        write_scan(ctx, spec, read_listing(ctx, FALLBACKS[resource]), diff=False)
        return
    write_scan(ctx, spec, listing, diff=True)


def sync_users(ctx: SyncContext, resource: str = "users") -> None:
    """users.list has no updatedSince. When the token sees `_updatedAt` (view-full-other-user-info),
    walk newest first and stop at the watermark; a `total` that no longer matches the stored count
    means users were deleted, which only a full listing can tell. livechat_rooms works the same."""
    spec = RESOURCES[resource]
    by_update = spec.delta or spec.full
    old = _load(ctx, resource)
    if ctx.full or resource in ctx.reconcile or old is None or not old.watermark_ms:
        write_scan(ctx, spec, read_listing(ctx, spec.full), diff=True)
        return
    recent, rejected, total = _users_since(ctx, old.watermark_ms, by_update)
    if recent is None:  # _updatedAt hidden from this token
        write_scan(ctx, spec, read_listing(ctx, spec.full), diff=True)
        return
    checkpoint, future = _checkpoint(ctx, resource, recent, old)
    page = PageWrite(resource, spec.table, recent, [], [checkpoint], only_changed=True)
    page.rejected, page.future = rejected, future
    write_page(ctx, page)
    if total is not None and total != len(_stored(ctx, spec.table)):
        log.info(
            "%s: server total %s differs from the stored count; listing all ids", resource, total
        )
        write_scan(ctx, spec, read_listing(ctx, spec.full), diff=True)


def _users_since(
    ctx: SyncContext, watermark_ms: int, endpoint: Endpoint = USERS_BY_UPDATE
) -> tuple[list[Doc] | None, list[Rejected], int | None]:
    recent: list[Doc] = []
    rejected: list[Rejected] = []
    total = None
    size = ctx.settings.sync.page_size
    pages = fetch_offset_pages(ctx.client, endpoint, page_size=size, count_zero=False)
    for page in pages:
        total = page.total
        rejected.extend(page.rejected)
        if page.items and not any("_updatedAt" in doc for doc in page.items):
            return None, [], total
        fresh = [doc for doc in page.items if doc_ms(doc) >= watermark_ms]
        recent.extend(fresh)
        if len(fresh) < len(page.items) or not page.items:
            break
    return recent, rejected, total
