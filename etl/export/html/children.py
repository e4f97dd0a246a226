"""A message's children as its page shows them: reactions, files, URLs, attachments, and its
previous versions where the database keeps them (`message_versions`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from etl.export.html.queries import MESSAGES, as_stored, chunks, message_rows
from etl.schema import metadata

VERSIONS_TABLE = "message_versions"
CHILDREN = {
    "reactions": ("message_reactions", ("emoji", "username")),
    "files": ("message_files", ("name", "type", "size")),
    "urls": ("message_urls", ("url", "title", "description")),
    "attachments": ("message_attachments", ("title", "type", "text", "title_link", "raw")),
}


def messages_by_id(
    conn: Connection, ids: list[str], versions: bool, room: str | None = None
) -> list[dict[str, Any]]:
    """Whole rows with their children, for the messages that must be rendered; `room`: they are
    most of that room's messages, read the room rather than lists of ids."""
    rows: list[dict[str, Any]] = []
    if room is not None:
        wanted = set(ids)
        rows = [r for r in message_rows(conn, MESSAGES.c.rid == room) if r["id"] in wanted]
    else:
        for chunk in chunks(ids):
            rows.extend(message_rows(conn, MESSAGES.c.id.in_(chunk)))
    attach_children(conn, rows, versions, room)
    return rows


def _children_of(
    conn: Connection, table: sa.Table, columns: tuple[str, ...], ids: list[str], room: str | None
) -> Iterator[sa.Row[Any]]:
    """Child rows of these messages, by id lists or (most of a room) by one join on the room."""
    order = [table.c.message_id] + [c for c in table.primary_key.columns if c.name != "message_id"]
    shown = [as_stored(conn, table.c[c]) if c != "raw" else table.c[c] for c in columns]
    select = sa.select(as_stored(conn, table.c.message_id), *shown).order_by(*order)
    if room is not None:
        joined = table.join(MESSAGES, MESSAGES.c.id == table.c.message_id)
        yield from conn.execute(select.select_from(joined).where(MESSAGES.c.rid == room)).all()
        return
    for chunk in chunks(ids):
        yield from conn.execute(select.where(table.c.message_id.in_(chunk))).all()


def attach_children(
    conn: Connection, rows: list[dict[str, Any]], versions: bool, room: str | None = None
) -> None:
    """Reactions, files, URLs, attachments and versions onto each row (a key only where there
    are some: views.message_view reads them with .get); `room`: the rows are most of that room's
    messages, read its children in one query per table."""
    by_id = {r["id"]: r for r in rows}
    ids = list(by_id)
    for key, (table_name, columns) in CHILDREN.items():
        for child in _children_of(conn, metadata.tables[table_name], columns, ids, room):
            parent = by_id.get(child[0])
            if parent is not None:
                shown: dict[str, Any] = dict(zip(columns, child[1:], strict=True))
                if key in parent:
                    parent[key].append(shown)
                else:
                    parent[key] = [shown]
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
    for chunk in chunks(ids):
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
