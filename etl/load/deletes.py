"""Deletions reported by the server, applied with the configured policy (keep, redact, purge)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection

from etl.load import plans
from etl.load.records import delete_children, existing_ids
from etl.schema import CHILD_TABLES, SYNCED_TABLES
from etl.schema.types import dumps_json, escape_text, pg_json_value, unescape_json

Policy = Literal["keep", "redact", "purge"]
POLICIES: tuple[str, ...] = ("keep", "redact", "purge")


# What `redact` blanks, per table: typed columns set to NULL, `raw` keys removed, child tables
# cleared. Ids, authors, room, thread and timestamps stay so the conversation keeps its shape.
REDACT: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "messages": (
        ("msg", "alias", "emoji", "avatar"),
        (
            "msg", "alias", "emoji", "avatar", "attachments", "files", "file", "urls", "reactions",
            "md", "blocks", "mentions", "channels", "html", "tokens", "content", "location",
            "translations", "customFields",
        ),
        ("message_reactions", "message_mentions", "message_attachments", "message_files",
         "message_urls"),
    ),
    "rooms": (
        ("topic", "description", "announcement"),
        ("topic", "description", "announcement", "announcementDetails", "lastMessage",
         "customFields"),
        (),
    ),
    "users": (
        ("name", "nickname", "status_text", "bio"),
        ("name", "nickname", "statusText", "bio", "emails", "customFields", "services"),
        ("user_emails",),
    ),
}  # fmt: skip


def mark_deleted(
    conn: Connection,
    table_name: str,
    items: Sequence[tuple[str, datetime | None]],
    policy: Policy,
    change_seq: int,
) -> int:
    """Apply server deletions `(id, deleted_at)` to a synced table; returns how many ids.

    keep: set `deleted_at`, keep the last content. redact: also blank the content (see REDACT).
    purge: delete the row and its children and write a `tombstones` row. Ids the table does not
    hold get a tombstone under every policy, so no deletion is lost. A missing `deleted_at` (the
    server did not say when) is recorded as the time of this call.
    """
    if table_name not in SYNCED_TABLES:
        raise ValueError(f"{table_name!r} is not a synced table")
    if policy not in POLICIES:
        raise ValueError(f"deletion policy must be one of {POLICIES}, not {policy!r}")
    now = datetime.now(UTC)
    key = escape_text if conn.dialect.name == "postgresql" else str
    # An id holding NUL never reaches a table (normalise refuses it), so on PostgreSQL it can only
    # become a tombstone, stored escaped.
    latest = {key(str(item_id)): when or now for item_id, when in items}
    if not latest:
        return 0
    ids = list(latest)
    if policy == "purge":
        _purge(conn, table_name, ids)
        _tombstones(conn, table_name, latest, change_seq)
        return len(ids)
    existing = existing_ids(conn, table_name, ids)
    if existing:
        dt = plans.sqlite_datetime if conn.dialect.name == "sqlite" else _same
        ph = plans.placeholder(conn.dialect.name)
        conn.exec_driver_sql(
            f"UPDATE {table_name} SET deleted_at = {ph}, change_seq = {ph} WHERE id = {ph}",
            [(dt(latest[i]), change_seq, i) for i in existing],
        )
        if policy == "redact":
            _redact(conn, table_name, existing)
    found = set(existing)
    _tombstones(conn, table_name, {i: latest[i] for i in ids if i not in found}, change_seq)
    return len(ids)


def _same(value: Any) -> Any:
    return value


def _purge(conn: Connection, table_name: str, ids: list[str]) -> None:
    for child_table, (parent, _column) in CHILD_TABLES.items():
        if parent == table_name:
            delete_children(conn, child_table, ids)
    match, param = plans.ids_param(conn.dialect.name, ids)
    conn.exec_driver_sql(f"DELETE FROM {table_name} WHERE id {match}", (param,))


def _redact(conn: Connection, table_name: str, ids: list[str]) -> None:
    columns, raw_keys, children = REDACT.get(table_name, ((), (), ()))
    for child_table in children:
        delete_children(conn, child_table, ids)
    match, param = plans.ids_param(conn.dialect.name, ids)
    docs = conn.exec_driver_sql(f"SELECT id, raw FROM {table_name} WHERE id {match}", (param,))
    dialect = conn.dialect.name
    to_json = dumps_json if dialect == "sqlite" else pg_json_value
    updates = []
    for row_id, raw in docs:
        doc = _load_raw(raw, dialect)
        redacted = {k: v for k, v in doc.items() if k not in raw_keys}
        if "msg" in raw_keys and "msg" in doc:
            redacted["msg"] = ""
        updates.append((to_json(redacted), row_id))
    ph = plans.placeholder(dialect)
    sets = "".join(f", {plans.quote(dialect, c)} = NULL" for c in columns)
    conn.exec_driver_sql(f"UPDATE {table_name} SET raw = {ph}{sets} WHERE id = {ph}", updates)


def _load_raw(raw: Any, dialect: str) -> dict[str, Any]:
    value = orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw
    if dialect == "postgresql":
        value = unescape_json(value)
    return value if isinstance(value, dict) else {"value": value}


def _tombstones(
    conn: Connection, table_name: str, items: dict[str, datetime], change_seq: int
) -> None:
    if not items:
        return
    rows = [{"table_name": table_name, "id": i, "deleted_at": d} for i, d in items.items()]
    plan = plans.upsert_plan(conn.dialect.name, "tombstones", tuple(rows[0]), ("change_seq",))
    conn.exec_driver_sql(plan.sql, plan.values(rows, (change_seq,)))
