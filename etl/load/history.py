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
Its digest is also stored with the message (`messages.content_digest`), so an edit is found by
comparing the page with the stored rows, and only changed ids have their versions looked up. A
first load writes its versions 1 in one pass at the end of the step (etl.load.history_pending).
Deletions and their holds: etl.load.history_deletes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from etl.load import plans
from etl.load.history_pending import (
    Deferral,
    has_pending,
    materialise,
    note_pending,
    only_touched,
)
from etl.load.plans import json_serialiser
from etl.load.records import insert_children
from etl.normalise.fields import NormaliseError, parse_date
from etl.normalise.record import Record
from etl.schema.history import DELETION_KINDS
from etl.schema.types import JSONText

CONTENT_KEYS = ("msg", "attachments", "file", "files", "md")
TARGET_KIND = {"keep": "deleted", "redact": "redacted", "purge": "purged"}
Doc = dict[str, Any]


def content_hash(doc: Doc) -> str:
    # Runs for every message a sync reads: the keys are spelled out (CONTENT_KEYS' order) and
    # the callables bound once, ~2,600 of its ~15,700 instructions a message (callgrind).
    get = doc.get
    content = [get("msg"), get("attachments"), get("file"), get("files"), get("md")]
    try:
        text = _dumps(content, option=_SORT_KEYS)
    except TypeError:  # what orjson refuses (integers beyond 64 bits): the stdlib, as dumps_json
        text = json.dumps(content, sort_keys=True, default=str).encode()
    return _blake2b(text, digest_size=16).hexdigest()


_dumps, _SORT_KEYS, _blake2b = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.blake2b


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


def version_row(
    message_id: str, version: int, kind: str, observed_at: datetime, **values: Any
) -> Doc:
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


def content_of(doc: Doc, digest: str) -> dict[str, Any]:
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
    """A message record's content digest, and its `raw` serialised ONCE for both rows (the
    fetch threads call this, so the writer thread neither hashes nor serialises). The version's
    other columns are read from the row when a version is written (`_version_of`): a first load
    writes almost none page by page, and building them for every message cost ~0.1 G
    instructions of a medium full sync."""
    row = record.row
    doc = row["raw"]
    if type(doc) is JSONText:
        return  # prepared already
    row["content_digest"] = content_hash(doc)
    row["raw"] = JSONText(json_serialiser(dialect)(doc))
    record.attachments = doc.get("attachments")


def _version_of(record: Record) -> dict[str, Any]:
    """The content columns of a prepared message record's version."""
    row = record.row
    return {
        "msg": row["msg"],
        "attachments": record.attachments,
        "edited_at": row["edited_at"],
        "edited_by_id": row["edited_by_id"],
        "edited_by_username": row["edited_by_username"],
        "content_hash": row["content_digest"],
        "raw": row["raw"],
    }


def save_versions(
    conn: Connection,
    records: Sequence[Record],
    observed_at: datetime,
    change_seq: int,
    deferral: Deferral | None = None,
) -> int:
    """Versions for message records about to be upserted; returns how many were added.

    An edit shows as a stored row whose `content_digest` differs: only those ids, ids never
    stored and deleted ones have their versions looked up. With a `deferral` (a first load), an
    id never stored gets its version 1 from the end-of-step pass (etl.load.history_pending), and
    ids its filter says the step never wrote are not looked up at all."""
    dialect = conn.dialect.name
    for record in records:
        prepare_version(record, dialect)
    if deferral is not None and deferral.touched is not None:
        records = only_touched(conn, records, deferral.touched, observed_at, change_seq)
    if not records:
        return 0
    stored = _stored_digests(conn, [r.row["id"] for r in records])
    pending = materialise_pending(conn, change_seq, list(stored), deferral is not None)
    # (row and version are read directly: this runs for every message of a first load)
    changed = [r for r in records if stored.get(r.row["id"], _UNKNOWN) != r.row["content_digest"]]
    states = version_states(conn, [r.id for r in changed])
    rows, later = [], False
    for record in changed:
        state = states.get(record.id)
        if state is None:
            if pending and record.id not in stored:
                later = True  # version 1 comes from the pass
                continue
            kind, version = "created", 1
        elif state.kind in DELETION_KINDS:  # restored, or an id used again
            kind, version = "created", state.top + 1
        elif state.hash == record.row["content_digest"]:
            continue
        else:
            kind, version = "edited", state.top + 1
        rows.append(version_row(record.id, version, kind, observed_at, **_version_of(record)))
    if later:
        note_pending(conn, change_seq, observed_at)
    insert_children(conn, "message_versions", rows, change_seq)
    return len(rows)


_UNKNOWN = object()  # not stored, deleted, or stored without a digest: look the versions up


def _stored_digests(conn: Connection, ids: list[str]) -> dict[str, Any]:
    """Stored messages among `ids`: their content digest, or _UNKNOWN for a deleted one."""
    if not ids:
        return {}
    match, param = plans.ids_param(conn.dialect.name, ids)
    rows = conn.exec_driver_sql(
        f"SELECT id, content_digest, deleted_at FROM messages WHERE id {match}", (param,)
    )
    return {row_id: _UNKNOWN if deleted else digest for row_id, digest, deleted in rows}


def materialise_pending(
    conn: Connection, change_seq: int, ids: list[str], deferred: bool = False
) -> bool:
    """While a deferred pass is due, the pending version 1 of `ids` first (before their row or
    their versions change); returns whether the pass is due (or `deferred`)."""
    if not deferred and not has_pending(conn):
        return False
    materialise(conn, change_seq, ids)
    return True


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
    materialise_pending(conn, change_seq, sorted(parents))
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
            content = content_of(clone, digest)
            rows.append(
                version_row(
                    parent, state.top, "edited", observed_at, origin="server_history", **content
                )
            )
            touched.append(parent)
    insert_children(conn, "message_versions", rows, change_seq)
    _stamp(conn, "messages", touched, change_seq)
    return len(rows)


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
