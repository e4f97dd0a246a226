"""What the HTML site reads from the database: rooms, users, per room-month signatures, and the
messages a page shows (their children and previous versions: children.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Connection

from etl.export.filters import ExportFilters
from etl.export.html.times import UNDATED
from etl.schema import metadata
from etl.schema.types import RawJSON, UTCDateTime

MESSAGES = metadata.tables["messages"]
ROOMS = metadata.tables["rooms"]
USERS = metadata.tables["users"]
IN_CHUNK = 900  # ids per IN (...) list: under SQLite's default variable limit

RoomMonth = tuple[str, str]  # (room id, "YYYY-MM" or UNDATED)


def month_of(ts: datetime | None) -> str:
    return f"{ts.year:04d}-{ts.month:02d}" if ts else UNDATED


def month_range(month: str) -> tuple[datetime, datetime]:
    year, mon = int(month[:4]), int(month[5:7])
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _month_sql(conn: Connection, column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.substr(sa.cast(column, sa.String), 1, 7)  # stored as naive UTC text


def message_where(filters: ExportFilters) -> sa.ColumnElement[bool]:
    where = filters.where(MESSAGES, metadata)
    return where if where is not None else sa.true()


def room_where(filters: ExportFilters) -> sa.ColumnElement[bool]:
    return ROOMS.c.id.in_(filters.rooms) if filters.rooms else sa.true()


def current_change_seq(conn: Connection) -> int:
    value = conn.exec_driver_sql("SELECT value FROM counters WHERE name = 'change_seq'").scalar()
    return int(value or 0)


def month_signatures(conn: Connection, filters: ExportFilters) -> dict[RoomMonth, list[Any]]:
    """(room, month) -> [messages, newest change_seq, first ts, last ts]: a month whose
    signature differs from the previous run's has changed (new, edited, deleted or purged)."""
    month = _month_sql(conn, MESSAGES.c.ts).label("month")
    query = (
        sa.select(
            MESSAGES.c.rid,
            month,
            sa.func.count(),
            sa.func.max(MESSAGES.c.change_seq),
            sa.func.min(MESSAGES.c.ts),
            sa.func.max(MESSAGES.c.ts),
        )
        .where(message_where(filters))
        .group_by(MESSAGES.c.rid, month)
    )
    return {
        (rid, m or UNDATED): [count, int(seq), first, last]
        for rid, m, count, seq, first, last in conn.execute(query)
    }


def months_touched_through_threads(
    conn: Connection, filters: ExportFilters, since_seq: int
) -> set[RoomMonth]:
    """Months holding the parents of replies changed since `since_seq` (replies are shown under
    their parent), and months holding replies whose parent was purged since (now on their own)."""
    parent = MESSAGES.alias("p")
    pmonth = _month_sql(conn, parent.c.ts)
    changed = (
        sa.select(parent.c.rid, pmonth)
        .join(MESSAGES, MESSAGES.c.tmid == parent.c.id)
        .where(MESSAGES.c.change_seq > since_seq, message_where(filters))
    )
    tombstones = metadata.tables["tombstones"]
    purged = sa.select(tombstones.c.id).where(
        tombstones.c.table_name == "messages", tombstones.c.change_seq > since_seq
    )
    orphaned = sa.select(MESSAGES.c.rid, _month_sql(conn, MESSAGES.c.ts)).where(
        MESSAGES.c.tmid.in_(purged), message_where(filters)
    )
    found: set[RoomMonth] = set()
    for query in (changed, orphaned):
        found.update((rid, m or UNDATED) for rid, m in conn.execute(query))
    return found


def rooms(conn: Connection, filters: ExportFilters) -> list[dict[str, Any]]:
    members = metadata.tables["room_members"]
    counted = (
        sa.select(members.c.room_id, sa.func.count().label("n"))
        .group_by(members.c.room_id)
        .subquery()
    )
    query = (
        sa.select(ROOMS, counted.c.n.label("member_rows"))
        .outerjoin(counted, counted.c.room_id == ROOMS.c.id)
        .where(room_where(filters))
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def user_counts(conn: Connection) -> dict[str, int]:
    """User id -> messages that are not system messages (authors.py)."""
    # Grouped by an expression, not the column: SQLite would walk the u_id index and look every
    # row up for `t` (twice the time of reading the table once); a NULL u_id counts for no user.
    author = sa.func.coalesce(MESSAGES.c.u_id, "")
    query = sa.select(author, sa.func.count()).where(MESSAGES.c.t.is_(None)).group_by(author)
    return {author: int(n) for author, n in conn.execute(query)}


def users(conn: Connection, counts: dict[str, int]) -> list[dict[str, Any]]:
    columns = [USERS.c[c] for c in ("id", "username", "name", "type", "active", "deleted_at")]
    rows = [dict(r._mapping) for r in conn.execute(sa.select(*columns).order_by(USERS.c.username))]
    for row in rows:
        row["messages"] = counts.get(row["id"], 0)
    return rows


def chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


LIGHT = ("id", "ts", "tmid", "tcount", "tlm", "change_seq", "t", "u_id")
# Of `raw` a page shows only `md` and `starred`: extracted by the database, not decoded whole in
# Python (decoding every raw document was an eighth of the export).
RAW_SHOWN = ("md", "starred")


# The columns a page shows (views.message_view): converting a value costs more than reading it.
SHOWN = (*LIGHT, "msg", "u_username", "u_name", "alias", "tshow", "drid", "dcount")
SHOWN_TOO = ("edited_at", "edited_by_username", "pinned", "deleted_at")


def as_stored(conn: Connection, column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """A column as the driver gives it where that is enough: times (times.py reads SQLite's text
    and PostgreSQL's datetimes alike), and on SQLite any column (the UTC, NUL-safe text and
    boolean types change nothing there but cost a Python call per value; JSON stays text)."""
    if isinstance(column.type, UTCDateTime) or conn.dialect.name == "sqlite":
        return sa.type_coerce(column, sa.types.NullType()).label(column.name)
    return column


def _full_columns(conn: Connection) -> list[sa.ColumnElement[Any]]:
    columns = [as_stored(conn, MESSAGES.c[c]) for c in SHOWN + SHOWN_TOO]
    # SQLite gives JSON text, decoded in message_rows (the JSON types' processing was two Python
    # calls a value); PostgreSQL's documents are NUL-escaped (RawJSON).
    json = sa.types.NullType() if conn.dialect.name == "sqlite" else RawJSON()
    for key in RAW_SHOWN:
        columns.append(sa.type_coerce(MESSAGES.c.raw[key], json).label(f"raw_{key}"))
    return columns


def _json_text(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def message_rows(
    conn: Connection, where: sa.ColumnElement[bool], light: bool = False
) -> list[dict[str, Any]]:
    columns = [as_stored(conn, MESSAGES.c[c]) for c in LIGHT] if light else _full_columns(conn)
    result = conn.execute(sa.select(*columns).where(where))
    keys = list(result.keys())
    rows = [dict(zip(keys, row, strict=True)) for row in result.fetchall()]  # 3x .mappings()
    if not light:
        decode = _json_text if conn.dialect.name == "sqlite" else None
        for row in rows:
            raw = {key: row.pop(f"raw_{key}") for key in RAW_SHOWN}
            row["raw"] = {k: decode(v) for k, v in raw.items()} if decode else raw
    return rows


def room_messages(
    conn: Connection,
    rid: str,
    months: Iterable[str],
    filters: ExportFilters,
    light: bool = False,
    room_total: int | None = None,
) -> list[dict[str, Any]]:
    """The room's messages in `months`, plus the replies to thread parents among them wherever
    those replies were posted; `light`: only the columns that place a message on its page;
    `room_total`: the room's messages inside the filters, if known (when `months` hold them all,
    so do they the replies: a full run read every reply twice)."""
    ranges: list[sa.ColumnElement[bool]] = []
    for month in months:
        if month == UNDATED:
            ranges.append(MESSAGES.c.ts.is_(None))
        else:
            start, end = month_range(month)
            ranges.append(sa.and_(MESSAGES.c.ts >= start, MESSAGES.c.ts < end))
    base = sa.and_(MESSAGES.c.rid == rid, message_where(filters))
    rows = message_rows(conn, sa.and_(base, sa.or_(*ranges)), light)
    if len(rows) == room_total:
        return rows
    seen = {r["id"] for r in rows}
    parents = [r["id"] for r in rows if r["tcount"] or r["tlm"]]
    for chunk in chunks(parents):
        extra = message_rows(conn, sa.and_(base, MESSAGES.c.tmid.in_(chunk)), light)
        rows.extend(r for r in extra if r["id"] not in seen)
        seen.update(r["id"] for r in extra)
    return rows


def changed_or_purged_ids(conn: Connection, since_seq: int) -> set[str]:
    """Messages changed (in any room, inside the filters or not) or purged since `since_seq`."""
    tombstones = metadata.tables["tombstones"]
    changed = sa.select(MESSAGES.c.id).where(MESSAGES.c.change_seq > since_seq)
    purged = sa.select(tombstones.c.id).where(
        tombstones.c.table_name == "messages", tombstones.c.change_seq > since_seq
    )
    return {i for query in (changed, purged) for i in conn.execute(query).scalars()}


def changed_light_rows(
    conn: Connection, filters: ExportFilters, since_seq: int
) -> list[dict[str, Any]]:
    """Light rows (and their room) of the messages inside the filters changed since `since_seq`."""
    where = sa.and_(MESSAGES.c.change_seq > since_seq, message_where(filters))
    columns = [as_stored(conn, MESSAGES.c[c]) for c in ("rid", *LIGHT)]
    result = conn.execute(sa.select(*columns).where(where))
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def existing_parents(conn: Connection, rid: str, ids: set[str], filters: ExportFilters) -> set[str]:
    """Which of these thread parents are in the archive (same room, inside the filters)."""
    found: set[str] = set()
    for chunk in chunks(sorted(ids)):
        where = sa.and_(MESSAGES.c.id.in_(chunk), MESSAGES.c.rid == rid, message_where(filters))
        found.update(conn.execute(sa.select(MESSAGES.c.id).where(where)).scalars())
    return found
