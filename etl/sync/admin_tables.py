"""Integrations, their history and the server's statistics.

Integrations and history documents carry webhook tokens: every document is scrubbed (etl.scrub)
the moment it leaves the walker, before it is compared, written, quarantined or logged. A body
that cannot be decoded is not quarantined whole here, as other resources' are: it holds tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from etl.catalogue import RESOURCES
from etl.endpoints import INTEGRATION_HISTORY, INTEGRATIONS_LIST, STATISTICS
from etl.errors import BadRequestError, PermissionDeniedError, UndecodableBodyError
from etl.intake import Rejected, rejected_ids, watermark_bound
from etl.load import next_change_seq, save_quarantine, save_records
from etl.normalise import NormaliseError
from etl.normalise.admin import normalise_server_statistics
from etl.schema import metadata
from etl.scrub import scrub, scrub_rejected
from etl.state import Checkpoint, load_checkpoint, save_checkpoints
from etl.sync.context import SyncContext, log
from etl.sync.page_writer import PageWrite, write_page
from etl.sync.server_tables import read_listing, stored_count, write_scan
from etl.timestamps import doc_ms
from etl.walkers import Doc, Future, bounded_watermark, fetch_offset_pages

OUTGOING = "webhook-outgoing"
WITHHELD = b'"[withheld: integration responses carry webhook tokens]"'


@contextmanager
def _secret_bodies() -> Iterator[None]:
    try:
        yield
    except UndecodableBodyError as exc:
        exc.body = WITHHELD
        raise


def _scrubbed(
    ctx: SyncContext, listing: tuple[list[Doc], list[Rejected]]
) -> tuple[list[Doc], list[Rejected]]:
    keep = ctx.settings.sync.integration_scripts
    docs, rejected = listing
    return [scrub(doc, keep_scripts=keep) for doc in docs], scrub_rejected(
        rejected, keep_scripts=keep
    )


def _integrations(ctx: SyncContext) -> tuple[list[Doc], list[Rejected]]:
    with _secret_bodies():
        # as few as a page: one page, no confirming request
        expect = stored_count(ctx, "integrations")
        return _scrubbed(ctx, read_listing(ctx, INTEGRATIONS_LIST, expect=expect))


def sync_integrations(ctx: SyncContext, resource: str) -> None:
    """integrations.list has no delta parameter and no `ts`: list all (a few dozen), diff ids."""
    write_scan(ctx, RESOURCES[resource], _integrations(ctx), diff=True)


# --- integration history ---------------------------------------------------------------------


def _stored_history(
    ctx: SyncContext, integration_id: str | None
) -> dict[str, tuple[Any, str | None]]:
    """id -> (raw, integration id) of the live history rows of one integration (all: None)."""
    t = metadata.tables["integration_history"]
    query = select(t.c.id, t.c.raw, t.c.integration_id).where(t.c.deleted_at.is_(None))
    if integration_id is not None:
        query = query.where(t.c.integration_id == integration_id)
    with ctx.engine.connect() as conn:
        return {row.id: (row.raw, row.integration_id) for row in conn.execute(query)}


def _history_pages(
    ctx: SyncContext, integration_id: str, watermark_ms: int | None
) -> tuple[list[Doc], list[Rejected], int | None]:
    """Newest first; with a watermark, stop at the first page reaching below it (ties kept)."""
    docs: list[Doc] = []
    rejected: list[Rejected] = []
    total = None
    size = ctx.settings.sync.page_size
    params = {"id": integration_id}
    with _secret_bodies():
        pages = fetch_offset_pages(
            ctx.client, INTEGRATION_HISTORY, params, page_size=size, count_zero=False
        )
        for page in pages:
            total = page.total
            rejected.extend(page.rejected)
            fresh = [d for d in page.items if not watermark_ms or doc_ms(d) >= watermark_ms]
            docs.extend(fresh)
            if watermark_ms and len(fresh) < len(page.items):
                break
    clean, bad = _scrubbed(ctx, (docs, rejected))
    return clean, bad, total


def _history_of(ctx: SyncContext, resource: str, integration_id: str) -> None:
    with ctx.engine.connect() as conn:
        old = load_checkpoint(conn, resource, integration_id)
    since = None if old is None or ctx.full or resource in ctx.reconcile else old.watermark_ms
    docs, rejected, total = _history_pages(ctx, integration_id, since)
    stored = _stored_history(ctx, integration_id)
    gone: set[str] = set()
    if since and total is not None and total != len(stored) + len(set(_ids(docs)) - set(stored)):
        # Entries disappeared (history cleared): only a full listing can tell which.
        log.info(
            "%s: %s total differs from the stored count; listing all", resource, integration_id
        )
        docs, rejected, total = _history_pages(ctx, integration_id, None)
        since = None
    if not since:
        gone = set(stored) - set(_ids(docs)) - rejected_ids(rejected)
    future = Future()
    stamped = [(d["_id"], doc_ms(d)) for d in docs]
    mark = bounded_watermark(since, stamped, watermark_bound(ctx.client), future) or None
    page = PageWrite(
        resource,
        "integration_history",
        docs=[d for d in docs if d["_id"] not in stored or stored[d["_id"]][0] != d],
        deletions=[(doc_id, None) for doc_id in sorted(gone)],
        checkpoints=[Checkpoint(resource, integration_id, mark, status="complete")],
        rejected=rejected,
        future=future,
    )
    write_page(ctx, page)


def _ids(docs: list[Doc]) -> list[str]:
    return [doc["_id"] for doc in docs]


def _listed_this_run(ctx: SyncContext) -> bool:
    """Did the `integrations` step of this run complete? Then its rows are the listing."""
    done = "integrations" in ctx.summary.resources and "integrations" not in ctx.summary.skipped
    return done and not any(f.scope == "integrations" for f in ctx.summary.failures)


def _stored_outgoing(ctx: SyncContext) -> list[Doc]:
    t = metadata.tables["integrations"]
    query = select(t.c.id).where(t.c.deleted_at.is_(None), t.c.type == OUTGOING)
    with ctx.engine.connect() as conn:
        return [{"_id": row.id, "type": OUTGOING} for row in conn.execute(query)]


def sync_integration_history(ctx: SyncContext, resource: str) -> None:
    """integrations.history per outgoing integration (the only kind with history). The list of
    integrations comes from this run's `integrations` step when it ran, else from the server."""
    rejected: list[Rejected] = []
    if _listed_this_run(ctx):
        integrations = _stored_outgoing(ctx)
    else:
        integrations, rejected = _integrations(ctx)
    outgoing = sorted(d["_id"] for d in integrations if d.get("type") == OUTGOING)
    for integration_id in outgoing:
        if ctx.stopped:
            return
        _history_of(ctx, resource, integration_id)
    # The server removes an integration's history with it (a quarantined one is not gone).
    listed = set(outgoing) | rejected_ids(rejected)
    orphans = [k for k, (_, owner) in _stored_history(ctx, None).items() if owner not in listed]
    checkpoint = Checkpoint(resource, "", status="complete")
    deletions: list[tuple[str, Any]] = [(doc_id, None) for doc_id in sorted(orphans)]
    write_page(ctx, PageWrite(resource, "integration_history", [], deletions, [checkpoint]))


# --- statistics --------------------------------------------------------------------------------


def sync_server_statistics(ctx: SyncContext, resource: str) -> None:
    """One snapshot per run, keyed by the run: a second read in the same run replaces it."""
    params = {"refresh": "true"} if ctx.settings.sync.statistics_refresh else {}
    try:
        body = ctx.client.get(STATISTICS.name, params)
    except BadRequestError as exc:
        if exc.error_type != "error-not-allowed":
            raise
        # A real server answers a missing view-statistics with 400, not 403.
        raise PermissionDeniedError(exc.endpoint, exc.status, exc.message, exc.error_type) from exc
    doc = scrub({k: v for k, v in body.items() if k != "success"})
    checkpoint = Checkpoint(resource, "", doc_ms(doc) or None, status="complete")
    try:
        record = normalise_server_statistics(doc, ctx.run_id or 0)
    except NormaliseError as exc:
        with ctx.engine.begin() as conn:
            save_quarantine(conn, resource, doc, str(exc), ctx.run_id, doc.get("_id"))
            save_checkpoints(conn, [checkpoint])
        ctx.summary.add(resource, quarantined=1)
        log.warning("%s: snapshot quarantined: %s", resource, exc)
        return
    with ctx.engine.begin() as conn:
        save_records(conn, "server_statistics", [record], next_change_seq(conn))
        save_checkpoints(conn, [checkpoint])
    ctx.summary.add(resource, upserted=1)
