"""Deletions of synced rows with their history: legal holds keep held rows whatever the
policy; a message's deletion adds its version (`deleted`, `redacted` or `purged`, see
etl.load.history); reconciliation applies the policy to deletions a hold or a milder policy left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, null, select

from etl.load import plans
from etl.load.deletes import REDACT, Policy, mark_deleted
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
from etl.schema import metadata
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
    deleted_by: Mapping[str, Doc] | None = None,
) -> int:
    """`mark_deleted` with legal holds (held rows are kept whatever the policy) and, for
    messages, the deletion's version (with who deleted it, when the server said so:
    `deleted_by`, the `editedBy` of `t:'rm'` messages)."""
    held = _held(conn, table, [i for i, _ in items], holds) if policy != "keep" else set()
    groups: dict[Policy, list[tuple[str, datetime | None]]] = {}
    for item in items:
        groups.setdefault("keep" if item[0] in held else policy, []).append(item)
    for effective, group in groups.items():
        if table == "messages" and track_history:
            _delete_messages(conn, group, effective, change_seq, observed_at, deleted_by or {})
        else:
            mark_deleted(conn, table, group, effective, change_seq)
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
    deleted_by: Mapping[str, Doc],
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
        elif target == "redacted":
            blank.append(message_id)
        # Only a `t:'rm'` deletion names its deleter; a purge tombstone keeps no name at all
        # (the deleter is often the author, whose deletion purge exists to honour).
        who = deleted_by.get(message_id, {}) if target != "purged" else {}
        row.update(edited_by_id=who.get("_id"), edited_by_username=who.get("username"))
        rows.append(row)
    _blank_versions(conn, blank, change_seq)
    mark_deleted(conn, "messages", items, policy, change_seq)  # purge drops every version
    insert_children(conn, "message_versions", rows, change_seq)


def _stored_docs(conn: Connection, ids: list[str], table: str = "messages") -> dict[str, Doc]:
    if not ids:
        return {}
    dialect = conn.dialect.name
    match, param = plans.ids_param(dialect, ids)
    rows = conn.exec_driver_sql(f"SELECT id, raw FROM {table} WHERE id {match}", (param,))
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
    conn: Connection, table: str, policy: Policy, holds: Holds, track_history: bool = True
) -> list[tuple[str, datetime | None]]:
    """Deleted rows of a table a hold protects (HELD_BY), not held now, whose stored state is
    milder than `policy`: kept by a hold that has since ended (or expired), or deleted under an
    earlier, milder policy. Reconciliation applies the policy to them (an upload purged then
    loses its stored bytes too); removing a hold never purges by itself."""
    if policy == "keep" or table not in HELD_BY:
        return []
    if table == "messages" and policy == "redact" and not track_history:
        return []
    t = metadata.tables[table]
    room, user = (t.c[c] if c else null() for c in HELD_BY[table])
    query = select(t.c.id, t.c.deleted_at, room, user).where(t.c.deleted_at.is_not(None))
    items = [(i, when) for i, when, r, u in conn.execute(query) if not holds.covers(r, u)]
    if policy == "redact" and table == "messages":
        states = version_states(conn, [i for i, _ in items])
        return [(i, w) for i, w in items if getattr(states.get(i), "kind", None) != "redacted"]
    if policy == "redact":
        blank = _not_blank(conn, table, [i for i, _ in items])
        return [(i, w) for i, w in items if i in blank]
    return items


def _not_blank(conn: Connection, table: str, ids: list[str]) -> set[str]:
    """Rows still holding something `redact` blanks (a table without REDACT: none)."""
    columns, raw_keys, _children = REDACT.get(table, ((), (), ()))
    if not ids or not (columns or raw_keys):
        return set()
    t = metadata.tables[table]
    query = select(t.c.id, *(t.c[c] for c in columns)).where(t.c.id.in_(ids))
    found = {row[0] for row in conn.execute(query) if any(v is not None for v in row[1:])}
    docs = _stored_docs(conn, [i for i in ids if i not in found], table)
    return found | {i for i, doc in docs.items() if any(k in doc for k in raw_keys)}
