"""Small writes next to the bulk path: quarantine, room readability, full member lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, insert, update

from etl.load.records import delete_children, save_records
from etl.normalise.record import Record
from etl.schema.bookkeeping import Quarantine
from etl.schema.synced import Room
from etl.schema.types import dumps_json


def save_quarantine(
    conn: Connection,
    resource: str,
    doc_or_text: Any,
    reason: str,
    run_id: int | None = None,
    record_id: Any = None,
) -> None:
    """Keep a record that could not be normalised, verbatim, with the reason. `record_id`
    defaults to the document's `_id` (give it when the record is passed as text)."""
    if isinstance(doc_or_text, bytes):
        raw = doc_or_text.decode("utf-8", errors="backslashreplace")
    elif isinstance(doc_or_text, str):
        raw = doc_or_text
    else:
        raw = dumps_json(doc_or_text)
    if record_id is None and isinstance(doc_or_text, dict):
        record_id = doc_or_text.get("_id")
    conn.execute(
        insert(Quarantine).values(
            resource=resource,
            record_id=str(record_id) if record_id is not None else None,
            reason=reason,
            raw=raw,
            run_id=run_id,
            seen_at=datetime.now(UTC),
        )
    )


def set_room_readable(
    conn: Connection, room_id: str, readable: bool, reason: str | None, change_seq: int
) -> bool:
    """Record whether the token can read a room's messages (and why not); True if it changed.

    A change stamps the room's `change_seq`, so the feed carries it like any other edit. An
    unchanged answer writes nothing: a run that learns nothing new exports no room again."""
    reason = None if readable else reason
    changed = conn.execute(
        update(Room)
        .where(
            Room.id == room_id,
            sa.or_(
                Room.readable.is_distinct_from(readable),
                Room.unreadable_reason.is_distinct_from(reason),
            ),
        )
        .values(readable=readable, unreadable_reason=reason, change_seq=change_seq)
    )
    return bool(changed.rowcount)


def replace_room_members(
    conn: Connection, room_id: str, records: Sequence[Record], change_seq: int
) -> int:
    """Make `room_members` of one room exactly `records` (a complete member listing).

    The room row takes the same `change_seq`, so a feed that replays "children of changed
    parents" also learns of members who left.
    """
    delete_children(conn, "room_members", [room_id])
    conn.execute(update(Room).where(Room.id == room_id).values(change_seq=change_seq))
    return save_records(conn, "room_members", records, change_seq)
