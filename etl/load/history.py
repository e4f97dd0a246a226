"""Message versions: what a message said before it was edited, deleted, redacted or purged.

Called by the sync's writer inside the page's transaction (with the page's `change_seq`), so a
version commits with its page and checkpoint or not at all. The rules:

- first sight of a message: version 1, kind `created`; a later document whose content (text,
  attachments, file, files, md) differs from the current version: a new version, kind `edited`.
  The same content read again (an overlap, a reconcile, a reaction or pin) adds nothing.
- a deletion adds `deleted` (keeps the last content), or under `redact` blanks every version and
  adds `redacted`, or under `purge` removes every version and leaves one `purged` tombstone. A held
  message (legal hold on its room or author) is treated as `keep` whatever the policy.
- a server history clone (`_hidden`, `parent`) adds its content as a version of its parent
  (origin `server_history`) unless a version already has that content.

"Current" is the newest version the sync made itself (origin `sync`): clones carry older text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from etl.load import plans
from etl.load.deletes import Policy, mark_deleted
from etl.load.holds import Holds
from etl.load.plans import json_serialiser
from etl.load.records import insert_children
from etl.normalise.fields import NormaliseError, parse_date
from etl.normalise.record import Record
from etl.schema.history import DELETION_KINDS
from etl.schema.synced import Message
from etl.schema.types import JSONText, unescape_json

CONTENT_KEYS = ("msg", "attachments", "file", "files", "md")
TARGET_KIND = {"keep": "deleted", "redact": "redacted", "purge": "purged"}
# Which policy a table's hold protects, by the columns that name the room and the author.
# The room and author columns a legal hold matches, per table (an upload is held with its room or
# its uploader, so its row, and with it its stored bytes, survives `purge`).
HELD_BY = {
    "messages": ("rid", "u_id"),
    "rooms": ("id", None),
    "users": (None, "id"),
    "uploads": ("rid", "user_id"),
}
Doc = dict[str, Any]


def content_hash(doc: Doc) -> str:
    content = [doc.get(key) for key in CONTENT_KEYS]
    try:
        text = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # what orjson refuses (integers beyond 64 bits): the stdlib, as dumps_json
        text = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.blake2b(text, digest_size=16).hexdigest()


@dataclass
class VersionState:
    top: int = 0  # highest version number
    current: int = 0  # newest version made by the sync (0: none)
    kind: str | None = None  # kind of `current`
    hash: str | None = None  # content of `current`
    hashes: set[str | None] = field(default_factory=set)  # content of every version


def version_states(conn: Connection, ids: Sequence[str]) -> dict[str, VersionState]:
    if not ids:
        return {}
    match, param = plans.ids_param(conn.dialect.name, list(ids))
    rows = conn.exec_driver_sql(
        "SELECT message_id, version, kind, origin, content_hash FROM message_versions "
        f"WHERE message_id {match}",
        (param,),
    )
    states: dict[str, VersionState] = {}
    for message_id, version, kind, origin, digest in rows:
        state = states.setdefault(message_id, VersionState())
        state.top = max(state.top, version)
        state.hashes.add(digest)
        if origin == "sync" and version > state.current:
            state.current, state.kind, state.hash = version, kind, digest
    return states


def _row(message_id: str, version: int, kind: str, observed_at: datetime, **values: Any) -> Doc:
    row = {
        "message_id": message_id,
        "version": version,
        "kind": kind,
        "msg": None,
        "attachments": None,
        "edited_at": None,
        "edited_by_id": None,
        "edited_by_username": None,
        "observed_at": observed_at,
        "origin": "sync",
        "content_hash": None,
        "raw": None,
    }
    row.update(values)
    return row


def _content(doc: Doc, digest: str) -> dict[str, Any]:
    edited = doc.get("editedBy")
    edited_by: Mapping[str, Any] = edited if isinstance(edited, dict) else {}
    msg = doc.get("msg")
    return {
        "msg": msg if isinstance(msg, str) else None,
        "attachments": doc.get("attachments"),
        "edited_at": _date(doc.get("editedAt")),
        "edited_by_id": edited_by.get("_id"),
        "edited_by_username": edited_by.get("username"),
        "content_hash": digest,
        "raw": doc,
    }


def _date(value: Any) -> datetime | None:
    try:
        return parse_date(value) if value is not None else None
    except NormaliseError:
        return None


def prepare_version(record: Record, dialect: str) -> None:
    """A message record's content as a version, and its `raw` serialised ONCE for both rows
    (the fetch threads call this, so the writer thread neither hashes nor serialises)."""
    row = record.row
    doc = row["raw"]
    if isinstance(doc, JSONText):
        return  # prepared already
    text = JSONText(json_serialiser(dialect)(doc))
    attachments = doc.get("attachments")
    record.version = {
        "msg": row["msg"],
        "attachments": attachments,
        "edited_at": row["edited_at"],
        "edited_by_id": row["edited_by_id"],
        "edited_by_username": row["edited_by_username"],
        "content_hash": content_hash(doc),
        "raw": text,
    }
    row["raw"] = text


def save_versions(
    conn: Connection, records: Sequence[Record], observed_at: datetime, change_seq: int
) -> int:
    """Versions for message records about to be upserted; returns how many were added."""
    states = version_states(conn, [r.id for r in records])
    rows = []
    for record in records:
        if record.version is None:
            prepare_version(record, conn.dialect.name)
        content = record.version
        assert content is not None
        digest = content["content_hash"]
        state = states.get(record.id)
        if state is None:
            kind, version = "created", 1
        elif state.kind in DELETION_KINDS:  # restored, or an id used again
            kind, version = "created", state.top + 1
        elif state.hash == digest:
            continue
        else:
            kind, version = "edited", state.top + 1
        rows.append(_row(record.id, version, kind, observed_at, **content))
    insert_children(conn, "message_versions", rows, change_seq)
    return len(rows)


def save_clone_versions(
    conn: Connection, clones: Sequence[Doc], observed_at: datetime, change_seq: int
) -> int:
    """Server history clones as versions of their parents (stored, not redacted or purged),
    with the clone's own editedAt/editedBy: the edit that replaced this content."""
    by_parent: dict[str, list[Doc]] = {}
    for clone in clones:
        if isinstance(clone.get("parent"), str):
            by_parent.setdefault(clone["parent"], []).append(clone)
    parents = set(_existing(conn, "messages", list(by_parent)))
    states = version_states(conn, sorted(parents))
    rows, touched = [], []
    for parent in sorted(parents):
        state = states.get(parent) or VersionState()
        if state.kind in ("redacted", "purged"):
            continue
        ordered = sorted(by_parent[parent], key=lambda c: (str(c.get("editedAt")), str(c["_id"])))
        for clone in ordered:
            digest = content_hash(clone)
            if digest in state.hashes:
                continue
            state.top += 1
            state.hashes.add(digest)
            content = _content(clone, digest)
            rows.append(
                _row(parent, state.top, "edited", observed_at, origin="server_history", **content)
            )
            touched.append(parent)
    insert_children(conn, "message_versions", rows, change_seq)
    _stamp(conn, "messages", touched, change_seq)
    return len(rows)


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
        row = _row(message_id, state.top + 1, target, observed_at, edited_at=when[message_id])
        if target == "deleted":
            row.update(_content(doc, content_hash(doc)), edited_at=when[message_id])
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


def _existing(conn: Connection, table: str, ids: list[str]) -> list[str]:
    if not ids:
        return []
    match, param = plans.ids_param(conn.dialect.name, ids)
    return [
        r[0] for r in conn.exec_driver_sql(f"SELECT id FROM {table} WHERE id {match}", (param,))
    ]


def _stamp(conn: Connection, table: str, ids: list[str], change_seq: int) -> None:
    """Give parents of new versions the transaction's `change_seq`: the feed's replay replaces a
    touched parent's children with the run's, so all of them must be in the run."""
    if not ids:
        return
    dialect = conn.dialect.name
    match, param = plans.ids_param(dialect, sorted(set(ids)))
    ph = plans.placeholder(dialect)
    conn.exec_driver_sql(
        f"UPDATE {table} SET change_seq = {ph} WHERE id {match}", (change_seq, param)
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
