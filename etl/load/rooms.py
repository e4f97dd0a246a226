"""Writes about a room as a whole: whether the token can read it, and its full member list."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Connection, update

from etl.load import plans
from etl.load.records import save_records
from etl.normalise.record import Record
from etl.schema import metadata
from etl.schema.synced import Room

MEMBERS_TABLE = metadata.tables["room_members"]


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

    Members whose row is unchanged keep their `change_seq`. When anything changed (a member
    joined, left or was renamed) the room row takes the same `change_seq`, so a feed that replays
    "children of changed parents" also learns of members who left; an identical listing writes
    nothing.
    """
    members = MEMBERS_TABLE
    kept = [r.row["user_id"] for r in records]
    match, param = plans.ids_param(conn.dialect.name, kept)
    left = conn.exec_driver_sql(
        f"DELETE FROM room_members WHERE room_id = {plans.placeholder(conn.dialect.name)} "
        f"AND NOT (user_id {match})",
        (room_id, param),
    ).rowcount
    written = save_records(conn, "room_members", records, change_seq)
    query = sa.select(sa.func.count()).where(
        members.c.room_id == room_id, members.c.change_seq == change_seq
    )
    if left or conn.execute(query).scalar():
        conn.execute(update(Room).where(Room.id == room_id).values(change_seq=change_seq))
    return written
