"""The one writer: normalise a page, then upsert it, apply its deletions, quarantine what failed
and move its checkpoint, all in one transaction.

Fetching happens on worker threads; only the thread that calls `write_page` touches the database,
so SQLite sees a single writer and PostgreSQL one connection at a time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from etl.errors import UndecodableBodyError
from etl.intake import Rejected
from etl.load import (
    next_change_seq,
    replace_room_members,
    save_quarantine,
    save_records,
    set_room_readable,
)
from etl.load.history import prepare_version, save_clone_versions, save_versions
from etl.load.history_deletes import apply_deletions
from etl.load.holds import Holds, active_holds
from etl.normalise import NormaliseError, Record, normalise
from etl.schema import metadata
from etl.state import Checkpoint, save_checkpoints
from etl.sync.context import SyncContext, log
from etl.timestamps import ms_to_iso
from etl.walkers import Future

Doc = dict[str, Any]


@dataclass
class PageWrite:
    """One unit of work for the writer: everything here commits together or not at all."""

    resource: str
    table: str
    docs: list[Doc] = field(default_factory=list)
    deletions: list[tuple[str, datetime | None]] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    room_access: dict[str, str | None] = field(default_factory=dict)  # room -> unreadable reason
    members: dict[str, list[Doc]] = field(default_factory=dict)  # room -> complete member list
    rooms_done: int = 0
    only_changed: bool = False  # drop documents identical to the stored ones (delta overlaps)
    only_live_deletions: bool = False  # drop deletions of ids this table never held live
    prepared: _Prepared | None = None  # the normalised form, when a fetch thread already made it
    rejected: list[Rejected] = field(default_factory=list)  # items screened out on entry
    future: Future | None = None  # documents dated after the server's time (kept)
    clones: list[Doc] = field(default_factory=list)  # server history clones (`_hidden`, `parent`)
    deleted_by: dict[str, Doc] = field(default_factory=dict)  # `t:'rm'` id -> editedBy (deleter)
    fetched: int | None = None  # how many documents came, once `docs` went (see `prepare`)

    @property
    def size(self) -> int:
        """The documents the page brought (its weight in a group and in progress)."""
        return len(self.docs) if self.fetched is None else self.fetched


def _unchanged(ctx: SyncContext, table: str, docs: list[Doc]) -> set[str]:
    """Ids whose stored document equals the one just fetched (a 1 ms overlap re-reads a few)."""
    ids = [doc["_id"] for doc in docs if isinstance(doc.get("_id"), str)]
    if not ids:
        return set()
    t = metadata.tables[table]
    with ctx.engine.connect() as conn:
        query = select(t.c.id, t.c.raw).where(t.c.id.in_(ids), t.c.deleted_at.is_(None))
        stored = {row.id: row.raw for row in conn.execute(query)}
    return {doc["_id"] for doc in docs if doc.get("_id") in stored and stored[doc["_id"]] == doc}


def _live_ids(ctx: SyncContext, table: str, ids: list[str]) -> set[str]:
    t = metadata.tables[table]
    with ctx.engine.connect() as conn:
        query = select(t.c.id).where(t.c.id.in_(ids), t.c.deleted_at.is_(None))
        return {row.id for row in conn.execute(query)}


@dataclass
class _Prepared:
    """A page after normalisation: what the transaction writes. It does not point back at its
    page: a page <-> prepared cycle would leave every page's documents to the cyclic garbage
    collector, whose full collections then walk a heap of dead pages (seconds per sync)."""

    records: list[Record] = field(default_factory=list)
    members: dict[str, list[Record]] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)

    def changes(self, page: PageWrite) -> bool:
        return bool(
            self.records
            or page.deletions
            or self.rejected
            or page.room_access
            or page.members
            or page.clones
        )


def prepare(ctx: SyncContext, page: PageWrite) -> _Prepared:
    """Normalise a page (pure CPU plus reads): fetch threads call it, so the writer thread only
    writes, and normalising overlaps with SQLite's work (which releases the GIL)."""
    if page.prepared is not None:
        return page.prepared
    if page.only_changed and page.docs:
        same = _unchanged(ctx, page.table, page.docs)
        page.docs = [doc for doc in page.docs if doc.get("_id") not in same]
    if page.only_live_deletions and page.deletions:
        live = _live_ids(ctx, page.table, [doc_id for doc_id, _ in page.deletions])
        page.deletions = [(doc_id, when) for doc_id, when in page.deletions if doc_id in live]
    prepared = page.prepared = _Prepared(rejected=list(page.rejected))
    for doc in page.docs:
        try:
            prepared.records.append(normalise(page.table, doc))
        except NormaliseError as exc:
            prepared.rejected.append(Rejected(doc, str(exc), doc.get("_id")))
    if page.table == "messages" and ctx.settings.sync.track_history:
        dialect = ctx.engine.dialect.name
        for record in prepared.records:
            prepare_version(record, dialect)
        # Each record now holds its document as JSON text: the documents go here, on the fetch
        # thread, rather than after the write on the writer's (profiled: ~13% of its time).
        page.fetched, page.docs = len(page.docs), []
    for room_id, docs in page.members.items():
        prepared.members[room_id] = []
        for doc in docs:
            try:
                prepared.members[room_id].append(normalise("room_members", {**doc, "rid": room_id}))
            except NormaliseError as exc:
                reason = f"room member of {room_id}: {exc}"
                prepared.rejected.append(Rejected(doc, reason, doc.get("_id")))
    return prepared


def write_page(ctx: SyncContext, page: PageWrite) -> None:
    write_pages(ctx, [page])


def write_pages(ctx: SyncContext, pages: list[PageWrite]) -> None:
    """Write pages, with their checkpoints, in ONE transaction (a group commit: small rooms make
    small pages, and a commit per page would cost more than the rows). Upserts of all pages go
    first, merged per table (the last version of an id wins), then the deletions, so a row updated
    and then deleted within the group ends deleted."""
    prepared = [(page, prepare(ctx, page)) for page in pages]
    upserts: dict[str, dict[str, Record]] = defaultdict(dict)
    deletions: dict[str, dict[str, datetime | None]] = defaultdict(dict)
    # Distinct rows per resource: an id repeated within a page or a group is one row written.
    written: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for page, item in prepared:
        for record in item.records:
            key: Any = record.row.get("id")  # (record.id without a call per record)
            upserts[record.table][key] = record
            written[page.resource].add((record.table, key))
        deletions[page.table].update(page.deletions)
    clones = [clone for page in pages for clone in page.clones]
    deleted_by = {key: who for page in pages for key, who in page.deleted_by.items()}
    history = ctx.settings.sync.track_history
    with ctx.engine.begin() as conn:
        if any(item.changes(page) for page, item in prepared):
            seq = next_change_seq(conn)
            observed = ctx.server_now()
            for table, records in upserts.items():
                if table == "messages" and history:
                    batch = list(records.values())
                    save_versions(conn, batch, observed, seq, ctx.defer_versions)
                save_records(conn, table, list(records.values()), seq)
            if clones and history:
                save_clone_versions(conn, clones, observed, seq)
            holds = active_holds(conn, observed) if any(deletions.values()) else Holds()
            for table, removed in deletions.items():
                if removed:
                    items = list(removed.items())
                    apply_deletions(
                        conn, table, items, ctx.policy, seq, holds, observed, history, deleted_by
                    )
            for page, item in prepared:
                _apply_side_writes(ctx, conn, page, item, seq)
        save_checkpoints(conn, [cp for page in pages for cp in page.checkpoints])
    for resource, rows in written.items():
        ctx.summary.add(resource, upserted=len(rows))
    for page, item in prepared:
        ctx.summary.add(
            page.resource,
            upserted=sum(len(m) for m in item.members.values()),
            deleted=len(page.deletions),
            quarantined=len(item.rejected),
            rooms_walked=page.rooms_done,
        )
        if item.rejected:
            first = item.rejected[0]
            log.warning(
                "%s: %d item(s) quarantined, e.g. %s: %s",
                page.resource, len(item.rejected), first.record_id or "(no usable _id)",
                first.reason,
            )  # fmt: skip
        if page.future is not None and page.future.ids:
            _warn_future(ctx, page.resource, page.future)
        ctx.progress.advance(page.resource, items=page.size, rooms=page.rooms_done)


def _warn_future(ctx: SyncContext, resource: str, future: Future) -> None:
    ctx.summary.add(resource, future_dated=len(future.ids))
    log.warning(
        "%s: %d document(s) dated after the server's time (latest %s, e.g. %s): kept; the "
        "watermark stays at the server's time %s",
        resource, len(future.ids), ms_to_iso(future.latest_ms), future.ids[0],
        ms_to_iso(future.bound_ms),
    )  # fmt: skip


def quarantine_failure(ctx: SyncContext, resource: str, exc: BaseException) -> None:
    """A body no decoder could read, after its retries: kept whole, with the endpoint and the
    parameters of the request, so that what the server sent is never lost without a trace."""
    if not isinstance(exc, UndecodableBodyError):
        return
    reason = f"undecodable body from {exc.endpoint} {exc.params}: {exc.message}"
    with ctx.engine.begin() as conn:
        save_quarantine(conn, resource, exc.body, reason, ctx.run_id)
    ctx.summary.add(resource, quarantined=1)


def _apply_side_writes(
    ctx: SyncContext, conn: Connection, page: PageWrite, item: _Prepared, seq: int
) -> None:
    for bad in item.rejected:
        save_quarantine(conn, page.resource, bad.raw, bad.reason, ctx.run_id, bad.record_id)
    for room_id, reason in page.room_access.items():
        set_room_readable(conn, room_id, reason is None, reason, seq)
    for room_id, member_records in item.members.items():
        replace_room_members(conn, room_id, member_records, seq)
