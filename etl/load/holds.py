"""Legal holds: rooms and users whose messages are never redacted or purged while held.

A hold is active from `created_at` until it is removed or its `until` passes. Removing a hold keeps
its row (who removed it, and when): the table is the audit trail. Holds take a `change_seq` like
every other write, so the feed carries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, insert, or_, select, update

from etl.load.records import next_change_seq
from etl.schema.history import LegalHold

# Declarative models type `__table__` as FromClause; this model is mapped to a plain table.
HOLDS = cast(Table, LegalHold.__table__)
SCOPES = ("room", "user")


@dataclass(frozen=True)
class Holds:
    """The active holds at one moment: held room ids and held user ids."""

    rooms: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()

    def covers(self, room_id: str | None, user_id: str | None) -> bool:
        return room_id in self.rooms or user_id in self.users

    def __bool__(self) -> bool:
        return bool(self.rooms or self.users)


def _active(now: datetime) -> Any:
    return and_(HOLDS.c.removed_at.is_(None), or_(HOLDS.c.until.is_(None), HOLDS.c.until > now))


def active_holds(conn: Connection, now: datetime | None = None) -> Holds:
    now = now or datetime.now(UTC)
    rows = conn.execute(select(HOLDS.c.scope, HOLDS.c.target_id).where(_active(now))).all()
    return Holds(
        frozenset(r.target_id for r in rows if r.scope == "room"),
        frozenset(r.target_id for r in rows if r.scope == "user"),
    )


def list_holds(
    conn: Connection, *, include_inactive: bool = False, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Holds as dicts (oldest first), each with `active`."""
    now = now or datetime.now(UTC)
    query = select(HOLDS, _active(now).label("active")).order_by(HOLDS.c.id)
    if not include_inactive:
        query = query.where(_active(now))
    return [dict(row._mapping) for row in conn.execute(query)]


def add_hold(
    conn: Connection,
    scope: str,
    target_id: str,
    *,
    target_name: str | None,
    created_by: str,
    reason: str | None = None,
    until: datetime | None = None,
) -> int:
    """Place a hold; returns its id. Call inside a write transaction."""
    if scope not in SCOPES:
        raise ValueError(f"hold scope must be one of {SCOPES}, not {scope!r}")
    values = {
        "scope": scope,
        "target_id": target_id,
        "target_name": target_name,
        "reason": reason,
        "until": until,
        "created_at": datetime.now(UTC),
        "created_by": created_by,
        "change_seq": next_change_seq(conn),
    }
    key = conn.execute(insert(HOLDS).values(**values)).inserted_primary_key
    assert key is not None  # a single-row insert always reports its key
    return int(key[0])


def remove_holds(conn: Connection, scope: str, target_id: str, *, removed_by: str) -> list[int]:
    """End every active hold on a target; returns their ids (empty: nothing was held)."""
    now = datetime.now(UTC)
    ids = [
        row.id
        for row in conn.execute(
            select(HOLDS.c.id).where(
                HOLDS.c.scope == scope, HOLDS.c.target_id == target_id, _active(now)
            )
        )
    ]
    if ids:
        seq = next_change_seq(conn)
        conn.execute(
            update(HOLDS)
            .where(HOLDS.c.id.in_(ids))
            .values(removed_at=now, removed_by=removed_by, change_seq=seq)
        )
    return ids


def active_hold_summaries(conn: Connection, now: datetime | None = None) -> list[dict[str, Any]]:
    """The active holds as JSON-ready dicts (ISO times), for `rcetl status` and manifests."""
    keys = (
        "id",
        "scope",
        "target_id",
        "target_name",
        "reason",
        "until",
        "created_at",
        "created_by",
    )
    return [
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in h.items() if k in keys}
        for h in list_holds(conn, now=now)
    ]
