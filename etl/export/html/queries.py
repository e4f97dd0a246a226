"""What the HTML site reads from the database: rooms, users, per room-month signatures, messages
with their children, and previous versions when the database keeps them (`message_versions`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from etl.export.filters import ExportFilters
from etl.schema import metadata
from etl.schema.types import RawJSON

MESSAGES = metadata.tables["messages"]
ROOMS = metadata.tables["rooms"]
USERS = metadata.tables["users"]
UNDATED = "undated"
IN_CHUNK = 900  # ids per IN (...) list: under SQLite's default variable limit
VERSIONS_TABLE = "message_versions"
CHILDREN = {
    "reactions": ("message_reactions", ("emoji", "username")),
    "files": ("message_files", ("name", "type", "size")),
    "urls": ("message_urls", ("url", "title", "description")),
    "attachments": ("message_attachments", ("title", "type", "text", "title_link", "raw")),
}

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


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


LIGHT = ("id", "ts", "tmid", "tcount", "tlm", "change_seq", "t", "u_id")
# Of `raw` a page shows only `md` and `starred`: extracted by the database, not decoded whole in
# Python (decoding every raw document was an eighth of the export).
RAW_SHOWN = ("md", "starred")


# The columns a page shows (views.message_view): converting a value costs more than reading it.
SHOWN = (*LIGHT, "msg", "u_username", "u_name", "alias", "tshow", "drid", "dcount")
SHOWN_TOO = ("edited_at", "edited_by_username", "pinned", "deleted_at")


def _full_columns() -> list[sa.ColumnElement[Any]]:
    columns: list[sa.ColumnElement[Any]] = [MESSAGES.c[c] for c in SHOWN + SHOWN_TOO]
    for key in RAW_SHOWN:
        columns.append(sa.type_coerce(MESSAGES.c.raw[key], RawJSON()).label(f"raw_{key}"))
    return columns


def _message_rows(
    conn: Connection, where: sa.ColumnElement[bool], light: bool = False
) -> list[dict[str, Any]]:
    columns = [MESSAGES.c[c] for c in LIGHT] if light else _full_columns()
    result = conn.execute(sa.select(*columns).where(where))
    keys = list(result.keys())
    rows = [dict(zip(keys, row, strict=True)) for row in result]  # 3x faster than .mappings()
    if not light:
        for row in rows:
            row["raw"] = {key: row.pop(f"raw_{key}") for key in RAW_SHOWN}
    return rows


def room_messages(
    conn: Connection, rid: str, months: Iterable[str], filters: ExportFilters, light: bool = False
) -> list[dict[str, Any]]:
    """The room's messages in `months`, plus the replies to thread parents among them wherever
    those replies were posted; `light`: only the columns that place a message on its page."""
    ranges: list[sa.ColumnElement[bool]] = []
    for month in months:
        if month == UNDATED:
            ranges.append(MESSAGES.c.ts.is_(None))
        else:
            start, end = month_range(month)
            ranges.append(sa.and_(MESSAGES.c.ts >= start, MESSAGES.c.ts < end))
    base = sa.and_(MESSAGES.c.rid == rid, message_where(filters))
    rows = _message_rows(conn, sa.and_(base, sa.or_(*ranges)), light)
    seen = {r["id"] for r in rows}
    parents = [r["id"] for r in rows if r["tcount"] or r["tlm"]]
    for chunk in _chunks(parents):
        extra = _message_rows(conn, sa.and_(base, MESSAGES.c.tmid.in_(chunk)), light)
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
    result = conn.execute(sa.select(MESSAGES.c.rid, *(MESSAGES.c[c] for c in LIGHT)).where(where))
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def messages_by_id(
    conn: Connection, ids: list[str], versions: bool, room: str | None = None
) -> list[dict[str, Any]]:
    """Whole rows with their children, for the messages that must be rendered; `room`: they are
    most of that room's messages, read the room rather than lists of ids."""
    rows: list[dict[str, Any]] = []
    if room is not None:
        wanted = set(ids)
        rows = [r for r in _message_rows(conn, MESSAGES.c.rid == room) if r["id"] in wanted]
    else:
        for chunk in _chunks(ids):
            rows.extend(_message_rows(conn, MESSAGES.c.id.in_(chunk)))
    attach_children(conn, rows, versions, room)
    return rows


def existing_parents(conn: Connection, rid: str, ids: set[str], filters: ExportFilters) -> set[str]:
    """Which of these thread parents are in the archive (same room, inside the filters)."""
    found: set[str] = set()
    for chunk in _chunks(sorted(ids)):
        where = sa.and_(MESSAGES.c.id.in_(chunk), MESSAGES.c.rid == rid, message_where(filters))
        found.update(conn.execute(sa.select(MESSAGES.c.id).where(where)).scalars())
    return found


def _children_of(
    conn: Connection, table: sa.Table, columns: tuple[str, ...], ids: list[str], room: str | None
) -> Iterator[sa.Row[Any]]:
    """Child rows of these messages, by id lists or (most of a room) by one join on the room."""
    order = [table.c.message_id] + [c for c in table.primary_key.columns if c.name != "message_id"]
    select = sa.select(table.c.message_id, *(table.c[c] for c in columns)).order_by(*order)
    if room is not None:
        joined = table.join(MESSAGES, MESSAGES.c.id == table.c.message_id)
        yield from conn.execute(select.select_from(joined).where(MESSAGES.c.rid == room))
        return
    for chunk in _chunks(ids):
        yield from conn.execute(select.where(table.c.message_id.in_(chunk)))


def attach_children(
    conn: Connection, rows: list[dict[str, Any]], versions: bool, room: str | None = None
) -> None:
    """Reactions, files, URLs, attachments and versions onto each row; `room`: the rows are most
    of that room's messages, read its children in one query per table."""
    by_id = {r["id"]: r for r in rows}
    for row in rows:
        for key in CHILDREN:
            row[key] = []
        row["versions"] = []
    ids = list(by_id)
    for key, (table_name, columns) in CHILDREN.items():
        for child in _children_of(conn, metadata.tables[table_name], columns, ids, room):
            parent = by_id.get(child[0])
            if parent is not None:
                parent[key].append(dict(zip(columns, child[1:], strict=True)))
    if versions:
        for mid, history in message_versions(conn, ids).items():
            by_id[mid]["versions"] = history


def has_versions(conn: Connection) -> bool:
    """`message_versions` (edit history) exists only in databases migrated to keep it."""
    return sa.inspect(conn).has_table(VERSIONS_TABLE)


def message_versions(conn: Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every recorded version per message, oldest first: message_id, version, msg, attachments,
    edited_at, edited_by_id, edited_by_username, observed_at, kind, raw."""
    table = metadata.tables[VERSIONS_TABLE]
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        query = (
            sa.select(table)
            .where(table.c.message_id.in_(chunk))
            .order_by(table.c.message_id, table.c.version)
        )
        result = conn.execute(query)
        keys = list(result.keys())
        for row in result:
            found[row.message_id].append(dict(zip(keys, row, strict=True)))
    return found
