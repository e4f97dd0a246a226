"""Deletions of synced rows with their history: legal holds keep held rows whatever the
policy; a message's deletion adds its version (`deleted`, `redacted` or `purged`, see
etl.load.history); reconciliation applies the policy to deletions a hold or a milder policy left.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from etl.load import plans
from etl.load.deletes import Policy, mark_deleted
from etl.load.history import (
    TARGET_KIND,
    VersionState,
    content_hash,
    content_of,
    materialise_pending,
    version_row,
    version_states,
)
from etl.load.holds import Holds
from etl.load.records import insert_children
from etl.schema.synced import Message
from etl.schema.types import unescape_json

# The room and author columns a legal hold matches, per table (an upload is held with its room or
# its uploader, so its row, and with it its stored bytes, survives `purge`).
HELD_BY = {
    "messages": ("rid", "u_id"),
    "rooms": ("id", None),
    "users": (None, "id"),
    "uploads": ("rid", "user_id"),
}
Doc = dict[str, Any]


def apply_deletions(
    conn: Connection,
    table: str,
    items: Sequence[tuple[str, datetime | None]],
    policy: Policy,
    change_seq: int,
    holds: Holds,
    observed_at: datetime,
    track_history: bool = True,
) -> int:
    """`mark_deleted` with legal holds (held rows are kept whatever the policy) and, for
    messages, the deletion's version."""
    held = _held(conn, table, [i for i, _ in items], holds) if policy != "keep" else set()
    groups: dict[str, list[tuple[str, datetime | None]]] = {}
    for item in items:
        groups.setdefault("keep" if item[0] in held else policy, []).append(item)
    for effective, group in groups.items():
        if table == "messages" and track_history:
            _delete_messages(conn, group, effective, change_seq, observed_at)  # type: ignore[arg-type]
        else:
            mark_deleted(conn, table, group, effective, change_seq)  # type: ignore[arg-type]
    return len(items)


def _held(conn: Connection, table: str, ids: list[str], holds: Holds) -> set[str]:
    if not holds or table not in HELD_BY or not ids:
        return set()
    room_column, user_column = HELD_BY[table]
    columns = [room_column or "NULL", user_column or "NULL"]
    match, param = plans.ids_param(conn.dialect.name, ids)
    rows = conn.exec_driver_sql(
        f"SELECT id, {columns[0]}, {columns[1]} FROM {table} WHERE id {match}", (param,)
    )
    return {row_id for row_id, room, user in rows if holds.covers(room, user)}


def _delete_messages(
    conn: Connection,
    items: list[tuple[str, datetime | None]],
    policy: Policy,
    change_seq: int,
    observed_at: datetime,
) -> None:
    ids = [i for i, _ in items]
    when = dict(items)
    docs = _stored_docs(conn, ids)
    materialise_pending(conn, change_seq, list(docs))
    states = version_states(conn, list(docs))
    target = TARGET_KIND[policy]
    rows, blank = [], []
    for message_id, doc in docs.items():
        state = states.get(message_id) or VersionState()
        if (
            state.kind == target
            or state.kind == "purged"
            or (state.kind == "redacted" and target == "deleted")
        ):
            continue  # already applied (a repeat), or content that is gone for good
        row = version_row(
            message_id, state.top + 1, target, observed_at, edited_at=when[message_id]
        )
        if target == "deleted":
            row.update(content_of(doc, content_hash(doc)), edited_at=when[message_id])
            row.update(edited_by_id=None, edited_by_username=None)
        elif target == "redacted":
            blank.append(message_id)
        rows.append(row)
    _blank_versions(conn, blank, change_seq)
    mark_deleted(conn, "messages", items, policy, change_seq)  # purge drops every version
    insert_children(conn, "message_versions", rows, change_seq)


def _stored_docs(conn: Connection, ids: list[str]) -> dict[str, Doc]:
    if not ids:
        return {}
    dialect = conn.dialect.name
    match, param = plans.ids_param(dialect, ids)
    rows = conn.exec_driver_sql(f"SELECT id, raw FROM messages WHERE id {match}", (param,))
    docs = {}
    for row_id, raw in rows:
        value = orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw
        docs[row_id] = unescape_json(value) if dialect == "postgresql" else value
    return docs


def _blank_versions(conn: Connection, ids: list[str], change_seq: int) -> None:
    """Redaction reaches the history too: text, attachments and documents of every version go;
    who edited when stays."""
    if not ids:
        return
    dialect = conn.dialect.name
    match, param = plans.ids_param(dialect, ids)
    ph = plans.placeholder(dialect)
    conn.exec_driver_sql(
        "UPDATE message_versions SET msg = NULL, attachments = NULL, raw = NULL, "
        f"content_hash = NULL, change_seq = {ph} WHERE message_id {match}",
        (change_seq, param),
    )


def pending_deletions(
    conn: Connection, policy: Policy, holds: Holds, track_history: bool = True
) -> list[tuple[str, datetime | None]]:
    """Deleted messages not held whose stored state is milder than `policy`: kept by a hold that
    has since ended (or expired), or deleted under an earlier, milder policy. Reconciliation
    applies the policy to them; removing a hold never purges by itself."""
    if policy == "keep" or (policy == "redact" and not track_history):
        return []
    table = Message.__table__
    query = select(table.c.id, table.c.rid, table.c.u_id, table.c.deleted_at).where(
        table.c.deleted_at.is_not(None)
    )
    items = [
        (row.id, row.deleted_at)
        for row in conn.execute(query)
        if not holds.covers(row.rid, row.u_id)
    ]
    if policy == "redact":
        states = version_states(conn, [i for i, _ in items])
        items = [
            (i, when) for i, when in items if getattr(states.get(i), "kind", None) != "redacted"
        ]
    return items
