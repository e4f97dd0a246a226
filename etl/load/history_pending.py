"""A first load's versions 1 in one statement instead of one row per message per page.

Profiled on a medium workspace's full sync, writing version 1 of every message page by page cost
a fifth of the sync (SQLite inserting ~150k rows of ~700 bytes from Python parameters, plus the
per-page lookups). A messages step that starts with no messages and no versions therefore defers
them: each write transaction that stores messages records `(change_seq, observed_at)` in
`message_versions_pending`, and at the end of the step one INSERT ... SELECT gives every message
without a version whose `change_seq` is listed its version 1, from the row itself (text, editor,
`raw`, `content_digest`) and the listed server time, then empties the list, in one transaction.

Crash safety: the list commits with the pages it describes, so a run killed before the pass
leaves it non-empty; the next messages step keeps deferring and makes the pass at its end (as
does `rcetl db reindex`). The pass only adds versions to messages that have none, so running it
twice, or after part of the load got versions otherwise, adds nothing twice. Anything else that
gives a message a version (an edit, a deletion, a history clone) first makes the pending version
1 of that message (`materialise`), so the numbering is what page-by-page writing gives.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from etl.load import plans
from etl.load.records import next_change_seq
from etl.normalise.record import Record
from etl.schema.types import NUL_FLAG

PENDING = "message_versions_pending"
log = logging.getLogger(__name__)


class TouchedIds:
    """The message ids a deferred step has written so far, as a filter: on a step that started
    with no messages and no versions, an id it has not written is neither stored nor versioned,
    so its page needs no lookups (profiled: the per-page lookups of ids never stored were most of
    the version bookkeeping of a first load). A hit may be wrong (two ids on one slot): that id
    is then looked up, as without the filter. One byte per slot, 2**23 slots (8 MB), rather than
    a set of the ids (about 90 MB for the large workspace's million); a page's ids cost ~0.2 µs
    each. In this process only: the writer lock keeps other writers out, and a step
    cut short leaves messages, so the next one has no filter."""

    SLOTS = 1 << 23

    def __init__(self) -> None:
        self._slots = bytearray(self.SLOTS)

    def seen(self, ids: list[str]) -> list[bool]:
        """Whether each of `ids` may have been written; from now on, all of them have."""
        mask, slots = self.SLOTS - 1, self._slots
        keys = [hash(message_id) & mask for message_id in ids]
        found = [bool(slots[key]) for key in keys]
        for key in keys:
            slots[key] = 1
        return found


@dataclass
class Deferral:
    """A messages step whose versions 1 wait for the pass; `touched` when it started empty."""

    touched: TouchedIds | None = None


def only_touched(
    conn: Connection,
    records: Sequence[Record],
    touched: TouchedIds,
    observed_at: datetime,
    change_seq: int,
) -> Sequence[Record]:
    """On a step that started empty: the records whose id it may have written already (to look
    up); the others' version 1 comes from the pass, and they count as written from now on."""
    found = touched.seen([r.row["id"] for r in records])
    seen = [r for r, hit in zip(records, found, strict=True) if hit]
    if len(seen) < len(records):
        note_pending(conn, change_seq, observed_at)
    return seen


def has_pending(conn: Connection) -> bool:
    return conn.exec_driver_sql(f"SELECT 1 FROM {PENDING} LIMIT 1").first() is not None


def should_defer(conn: Connection) -> Deferral | None:
    """A first load (no messages, no versions), or one whose pass is still to be made."""
    empty = all(
        conn.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first() is None
        for table in ("messages", "message_versions")
    )
    if empty:
        return Deferral(TouchedIds())
    return Deferral() if has_pending(conn) else None


def note_pending(conn: Connection, change_seq: int, observed_at: datetime) -> None:
    """The transaction `change_seq` stored messages whose version 1 is deferred."""
    plan = plans.insert_plan(conn.dialect.name, PENDING, ("change_seq", "observed_at"), ())
    row = {"change_seq": change_seq, "observed_at": observed_at}
    conn.exec_driver_sql(plan.sql, plan.values([row], ()))


def _attachments(dialect: str) -> str:
    """The document's `attachments` as the version's JSON column (NULL when absent or null);
    on PostgreSQL a NUL-escaped document's part keeps the escape flag (etl.schema.types)."""
    if dialect == "sqlite":
        # Most messages have none: skip parsing their document. GLOB with a leading `*` jumps
        # between occurrences of its first letter (strcspn), where instr() compares at every
        # byte: callgrind, 147k messages, 1.56 G instructions with instr, ~0.4 G with GLOB.
        part = "NULLIF(m.raw -> '$.attachments', 'null')"
        return f"""CASE WHEN m.raw GLOB '*chments"*' THEN {part} END"""
    part = "NULLIF(m.raw -> 'attachments', 'null'::jsonb)"
    return (
        f"CASE WHEN m.raw ? '{NUL_FLAG}' AND {part} IS NOT NULL "
        f"THEN jsonb_build_object('{NUL_FLAG}', 2, 'value', {part}) ELSE {part} END"
    )


def materialise(conn: Connection, change_seq: int, ids: Sequence[str] | None = None) -> int:
    """Version 1 for the pending messages among `ids` (all of them: None) that have none, written
    with `change_seq`; returns how many. One statement, no Python per row."""
    dialect = conn.dialect.name
    ph = plans.placeholder(dialect)
    params: list[object] = [change_seq]
    if ids is not None:
        if not ids:
            return 0
        match, param = plans.ids_param(dialect, list(ids))
        where, params = f"{_WITHOUT_VERSION} AND m.id {match}", [change_seq, param]
    elif dialect == "sqlite":
        # SQLite copies the result of an INSERT whose SELECT reads the target table into a
        # temporary table first (every row's `raw` written twice): the whole pass leaves out
        # the few pending messages with versions by their ids instead (callgrind, medium
        # workspace: 4.9 G -> 3.9 G instructions).
        match, param = plans.ids_param(dialect, _versioned_pending(conn))
        where, params = f"WHERE m.id NOT {match}", [change_seq, param]
    else:
        where = _WITHOUT_VERSION
    sql = (
        "INSERT INTO message_versions (message_id, version, kind, msg, attachments, edited_at, "
        "edited_by_id, edited_by_username, observed_at, origin, content_hash, raw, change_seq) "
        f"SELECT m.id, 1, 'created', m.msg, {_attachments(dialect)}, m.edited_at, "
        "m.edited_by_id, m.edited_by_username, p.observed_at, 'sync', m.content_digest, m.raw, "
        f"{ph} FROM messages m JOIN {PENDING} p ON p.change_seq = m.change_seq {where}"
    )
    return int(conn.exec_driver_sql(sql, tuple(params)).rowcount or 0)


_WITHOUT_VERSION = "WHERE NOT EXISTS (SELECT 1 FROM message_versions v WHERE v.message_id = m.id)"


def _versioned_pending(conn: Connection) -> list[str]:
    """The pending messages that have versions already (an edit, a deletion or a clone during
    the deferral made their version 1): few, usually none."""
    rows = conn.exec_driver_sql(
        "SELECT DISTINCT v.message_id FROM message_versions v "
        "JOIN messages m ON m.id = v.message_id "
        f"JOIN {PENDING} p ON p.change_seq = m.change_seq"
    )
    return [row[0] for row in rows]


def finish_pending(engine: Engine) -> int:
    """The deferred pass: every pending version 1, and an empty list, in one transaction."""
    with engine.begin() as conn:
        if not has_pending(conn):
            return 0
        written = materialise(conn, next_change_seq(conn))
        conn.exec_driver_sql(f"DELETE FROM {PENDING}")
    log.info("message versions: %d first version(s) written in one pass", written)
    return written


@contextmanager
def deferred_versions(engine: Engine, track_history: bool) -> Iterator[Deferral | None]:
    """Around a messages step: yields its Deferral if it defers its versions 1, and makes the
    pass at its end (also after a failure or a stop; a kill leaves it to the next step)."""
    deferral = None
    if track_history:
        with engine.connect() as conn:
            deferral = should_defer(conn)
    if deferral is None:
        yield None
        return
    failed = True
    try:
        yield deferral
        failed = False
    finally:
        _last_pass(engine, failed)


def _last_pass(engine: Engine, step_failed: bool) -> None:
    try:
        finish_pending(engine)
    except Exception as exc:
        if not step_failed:
            raise
        # the step's own error is the one to report
        log.warning("deferred message versions not written (the next sync does it): %s", exc)
