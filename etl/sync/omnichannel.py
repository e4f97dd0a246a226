"""Omnichannel steps that the generic table steps cannot do: department agents (one request per
department), visitors (one request per visitor: there is no list), and office hours (a deprecated
route that newer servers no longer have).

Both per-item steps read their parents from the database (the departments and chats stored by
the steps before them), and only re-read the items whose parent changed since their checkpoint.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from etl.catalogue import RESOURCES
from etl.endpoints import items_at
from etl.errors import BadRequestError, NotFoundError, PermissionDeniedError
from etl.intake import Rejected, screen
from etl.schema import metadata
from etl.state import Checkpoint, load_checkpoint
from etl.sync.context import SyncContext, log
from etl.sync.page_writer import PageWrite, write_page
from etl.sync.server_tables import sync_scan_table
from etl.timestamps import doc_ms
from etl.walkers import Doc

VISITOR_NOT_FOUND = "visitor-not-found"


def sync_optional_scan(ctx: SyncContext, resource: str) -> None:
    """A full listing of a route a newer server may no longer have (livechat/office-hours): its
    404 or 400 means "not available here", reported as skipped, not as a failure."""
    try:
        sync_scan_table(ctx, resource)
    except (NotFoundError, BadRequestError) as exc:
        ctx.summary.skip(resource, exc)
        log.warning("%s skipped, not available on this server: %s", resource, exc)


def _needs(ctx: SyncContext, resource: str, parent: str) -> None:
    """A step that reads its parents from the database is skipped with them: a token that may
    not list the departments (chats) may not read their agents (visitors) either."""
    if parent in ctx.summary.skipped:
        endpoint = RESOURCES[resource].full.name
        reason = f"{parent} was skipped ({ctx.summary.skipped[parent]})"
        raise PermissionDeniedError(endpoint, None, reason)


def _since(ctx: SyncContext, resource: str) -> int | None:
    """The checkpoint's watermark, or None when everything must be read again."""
    with ctx.engine.connect() as conn:
        old = load_checkpoint(conn, resource)
    if ctx.full or old is None or resource in ctx.reconcile:
        return None
    return old.watermark_ms or 0


def _parents(ctx: SyncContext, table: str) -> dict[str, tuple[Doc, bool]]:
    """id -> (raw document, live) of a parent table."""
    t = metadata.tables[table]
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.raw, t.c.deleted_at))
        return {row.id: (row.raw, row.deleted_at is None) for row in rows}


def _write(
    ctx: SyncContext,
    resource: str,
    docs: list[Doc],
    gone: list[str],
    rejected: list[Rejected],
    watermark: int | None,
) -> None:
    checkpoint = Checkpoint(resource, "", watermark_ms=watermark or None, status="complete")
    table = RESOURCES[resource].table
    page = PageWrite(resource, table, docs, [(i, None) for i in gone], [checkpoint])
    page.only_changed = page.only_live_deletions = True
    page.rejected = rejected
    write_page(ctx, page)


def sync_department_agents(ctx: SyncContext, resource: str) -> None:
    """`livechat/department/:_id` for each department changed since the last run (adding or
    removing an agent moves the department's `numAgents` and so its `_updatedAt`); the links of
    departments that are gone are deletions."""
    _needs(ctx, resource, "livechat_departments")
    endpoint = RESOURCES[resource].full
    since = _since(ctx, resource)
    departments = _parents(ctx, "livechat_departments")
    links = _parents(ctx, RESOURCES[resource].table)
    by_department: dict[str, set[str]] = {}
    for link_id, (raw, live) in links.items():
        if live:
            by_department.setdefault(str(raw.get("departmentId")), set()).add(link_id)
    docs: list[Doc] = []
    rejected: list[Rejected] = []
    gone = {i for dep, ids in by_department.items() if not departments.get(dep, ({}, False))[1]
            for i in ids}  # fmt: skip
    for dep_id, (raw, live) in sorted(departments.items()):
        if not live or (since is not None and doc_ms(raw) <= since):
            continue
        body = ctx.client.get(endpoint.name.format(_id=dep_id))
        if body.get("department") is not None and "agents" not in body:
            raise PermissionDeniedError(
                endpoint.name, 403, "agents are listed only with view-livechat-departments"
            )
        good, bad = screen(items_at(body, endpoint.items_key))
        docs += good
        rejected += bad
        listed = {doc["_id"] for doc in good} | {r.record_id for r in bad if r.record_id}
        gone |= by_department.get(dep_id, set()) - listed
    marks = [doc_ms(raw) for raw, live in departments.values() if live]
    _write(ctx, resource, docs, sorted(gone), rejected, max([*marks, since or 0]))
    log.info("%s: %d links read, %d gone", resource, len(docs), len(gone))


def sync_visitors(ctx: SyncContext, resource: str) -> None:
    """`livechat/visitors.info` for every visitor a stored chat references that is not stored
    yet or whose chat changed since the last run. An unknown id (400 visitor-not-found) is a
    deleted visitor. Visitors without a chat, and visitor edits between chat changes, are not
    seen (README, "Omnichannel")."""
    _needs(ctx, resource, "livechat_rooms")
    endpoint = RESOURCES[resource].full
    since = _since(ctx, resource)
    chats = _parents(ctx, "livechat_rooms")
    stored = {i for i, (_raw, live) in _parents(ctx, RESOURCES[resource].table).items() if live}
    wanted: set[str] = set()
    for raw, live in chats.values():
        visitor = raw.get("v")
        vid = visitor.get("_id") if isinstance(visitor, dict) else None
        changed = since is None or vid not in stored or doc_ms(raw) > since
        if live and isinstance(vid, str) and vid and changed:
            wanted.add(vid)
    docs: list[Doc] = []
    rejected: list[Rejected] = []
    gone: list[str] = []
    for vid in sorted(wanted):
        visitor = _visitor(ctx, endpoint.name, vid)
        if visitor is None:
            gone.append(vid)
            continue
        good, bad = screen([visitor])
        docs += good
        rejected += bad
    marks = [doc_ms(raw) for raw, live in chats.values() if live]
    _write(ctx, resource, docs, gone, rejected, max([*marks, since or 0]))
    log.info("%s: %d read, %d gone", resource, len(docs), len(gone))


def _visitor(ctx: SyncContext, endpoint: str, vid: str) -> Any:
    try:
        return ctx.client.get(endpoint, {"visitorId": vid}).get("visitor")
    except BadRequestError as exc:
        if exc.error_type == VISITOR_NOT_FOUND or VISITOR_NOT_FOUND in exc.message:
            return None
        raise
