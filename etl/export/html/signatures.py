"""Each room-month's signature, `[messages, newest change_seq, first ts, last ts]`, read whole or
carried forward from the previous run's manifest.

Reading it whole scans every message (a third of a re-export after 1% of the messages changed). A
room-month gains a message only through a row changed since the previous run (its `change_seq` is
newer), so only the months of the changed rows are read again, by ranges of the (rid, ts) index:
their newest change_seq is their newest changed row's, every other row being older than the
previous run. Any other month can only have lost messages (a purge, a message moved or edited out
of the filters): then the sum of the counts exceeds the database's count, and every month is read
whole again. The manifest keeps each month's first and last ts (`span`) for the room pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from etl.export.filters import ExportFilters
from etl.export.html import queries
from etl.export.html.queries import MESSAGES, RoomMonth, message_where, month_of
from etl.export.html.times import UNDATED

Signatures = dict[RoomMonth, list[Any]]


def month_signatures(
    conn: Connection, filters: ExportFilters, previous: dict[str, Any] | None
) -> Signatures:
    found = _carried(conn, filters, previous) if previous and "months" in previous else None
    return found if found is not None else queries.month_signatures(conn, filters)


def span(signature: list[Any]) -> list[str | None]:
    """A month's first and last ts as the manifest keeps them."""
    return [ts.isoformat() if ts else None for ts in signature[2:4]]


def _previous(months: list[dict[str, Any]]) -> Signatures | None:
    before: Signatures = {}
    for entry in months:
        if "span" not in entry:  # a manifest from before spans were kept
            return None
        first, last = (datetime.fromisoformat(ts) if ts else None for ts in entry["span"])
        before[(entry["room"], entry["month"])] = [*entry["signature"], first, last]
    return before


def _carried(
    conn: Connection, filters: ExportFilters, previous: dict[str, Any]
) -> Signatures | None:
    """The previous signatures with the months of the changed rows read again; None if another
    month changed."""
    before = _previous(previous["months"])
    if before is None:
        return None
    since = int(previous.get("change_seq") or 0)
    where = sa.and_(MESSAGES.c.change_seq > since, message_where(filters))
    newest: dict[RoomMonth, int] = {}
    for rid, ts, seq in conn.execute(
        sa.select(MESSAGES.c.rid, MESSAGES.c.ts, MESSAGES.c.change_seq).where(where)
    ):
        key = (rid, month_of(ts))
        newest[key] = max(newest.get(key, 0), int(seq))
    signatures = dict(before)
    for key, (count, first, last) in _month_counts(conn, filters, sorted(newest)).items():
        signatures[key] = [count, newest[key], first, last]
    counted = sa.select(sa.func.count()).select_from(MESSAGES).where(message_where(filters))
    total = conn.execute(counted).scalar()
    if sum(sig[0] for sig in signatures.values()) != total:
        return None
    return signatures


def _month_counts(
    conn: Connection, filters: ExportFilters, months: list[RoomMonth]
) -> dict[RoomMonth, list[Any]]:
    """Messages, first and last ts of these room-months, from the (rid, ts) index alone: one
    statement with bound parameters (building a statement per month cost more than running it)."""
    ts = MESSAGES.c.ts
    counted = sa.select(sa.func.count(), sa.func.min(ts), sa.func.max(ts)).where(
        MESSAGES.c.rid == sa.bindparam("rid"), message_where(filters)
    )
    dated = counted.where(ts >= sa.bindparam("start", type_=ts.type), ts < sa.bindparam("end"))
    undated = counted.where(ts.is_(None))
    found = {}
    for rid, month in months:
        if month == UNDATED:
            row = conn.execute(undated, {"rid": rid}).one()
        else:
            start, end = queries.month_range(month)
            row = conn.execute(dated, {"rid": rid, "start": start, "end": end}).one()
        found[(rid, month)] = list(row)
    return found
