"""Checkpoints (`sync_state`) and the run log (`sync_runs`).

A checkpoint is always written on the connection of the transaction that writes the page it
describes, so a crash leaves either both or neither. Watermarks are server timestamps (epoch ms of
`_updatedAt`/`_deletedAt`); `updated_at` is only the local time the row was written, for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, Table, insert, select, update

from etl.load.upsert import upsert
from etl.schema.bookkeeping import SyncRun, SyncState
from etl.timestamps import dt_to_ms, ms_to_dt

# Declarative models type `__table__` as FromClause; these models are mapped to plain tables.
STATE = cast(Table, SyncState.__table__)
RUNS = cast(Table, SyncRun.__table__)


@dataclass
class Cursor:
    """A stream's position beyond its watermark, stored as JSON in `sync_state.cursor` (the keys
    `edge`, `deleted_ms`, `room_updated_at` are read and written only here)."""

    edge_ids: list[str] | None = None  # message ids seen at exactly the watermark millisecond
    deleted_ms: int = 0  # the room's deletion watermark (chat.syncMessages type=DELETED)
    room_updated_ms: int | None = None  # the room `_updatedAt` its last complete walk saw

    def to_json(self) -> str | None:
        data: dict[str, Any] = {}
        if self.edge_ids is not None:
            data["edge"] = self.edge_ids
        if self.deleted_ms:
            data["deleted_ms"] = self.deleted_ms
        if self.room_updated_ms is not None:
            data["room_updated_at"] = self.room_updated_ms
        return orjson.dumps(data).decode() if data else None

    @classmethod
    def from_json(cls, text: str | None) -> Cursor:
        data = orjson.loads(text) if text else {}
        if not isinstance(data, dict):
            return cls()
        edge = data.get("edge")
        return cls(
            edge_ids=list(edge) if isinstance(edge, list) else None,
            deleted_ms=int(data.get("deleted_ms") or 0),
            room_updated_ms=data.get("room_updated_at"),
        )


@dataclass
class Checkpoint:
    """Where a resource (scope "") or one room's stream (scope = room id) stands.

    `cursor` holds the stream's position beyond the watermark (`Cursor`).
    """

    resource: str
    scope: str = ""
    watermark_ms: int | None = None
    cursor: Cursor = field(default_factory=Cursor)
    status: str | None = None
    error: str | None = None
    updated_at: datetime | None = None


def _from_row(row: Any) -> Checkpoint:
    return Checkpoint(
        resource=row.resource,
        scope=row.scope,
        watermark_ms=dt_to_ms(row.watermark),
        cursor=Cursor.from_json(row.cursor),
        status=row.status,
        error=row.error,
        updated_at=row.updated_at,
    )


def load_checkpoint(conn: Connection, resource: str, scope: str = "") -> Checkpoint | None:
    query = select(STATE).where(STATE.c.resource == resource, STATE.c.scope == scope)
    row = conn.execute(query).first()
    return _from_row(row) if row else None


def load_checkpoints(conn: Connection, resource: str) -> dict[str, Checkpoint]:
    """Every checkpoint of a resource by scope (the per-room message streams, for instance)."""
    rows = conn.execute(select(STATE).where(STATE.c.resource == resource))
    return {row.scope: _from_row(row) for row in rows}


def save_checkpoint(conn: Connection, checkpoint: Checkpoint) -> None:
    """Upsert one checkpoint, on the caller's transaction."""
    save_checkpoints(conn, [checkpoint])


def save_checkpoints(conn: Connection, checkpoints: list[Checkpoint]) -> None:
    if not checkpoints:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "resource": cp.resource,
            "scope": cp.scope,
            "cursor": cp.cursor.to_json(),
            "watermark": ms_to_dt(cp.watermark_ms),
            "status": cp.status,
            "error": cp.error,
            "updated_at": now,
        }
        for cp in checkpoints
    ]
    upsert(conn, STATE.name, rows, key_columns=("resource", "scope"))


# --- run log ------------------------------------------------------------------------------


def start_run(
    engine: Engine,
    kind: str,
    resources: list[str],
    server_url: str | None = None,
    server_version: str | None = None,
) -> int:
    """Open a run; `server_url` must be free of credentials (`etl.sync.engine.public_url`)."""
    values = {
        "kind": kind,
        "started_at": datetime.now(UTC),
        "status": "running",
        "resources": resources,
        "server_url": server_url,
        "server_version": server_version,
    }
    with engine.begin() as conn:
        key = conn.execute(insert(RUNS).values(**values)).inserted_primary_key
    assert key is not None  # a single-row insert always reports its primary key
    return int(key[0])


def finish_run(engine: Engine, run_id: int, status: str, record: dict[str, Any]) -> None:
    """Close a run: status plus counts, request figures and errors from the summary."""
    values = {
        "finished_at": datetime.now(UTC),
        "status": status,
        "counts": record.get("counts"),
        "requests": record.get("requests"),
        "retries": record.get("retries"),
        "rate_limit_waits": record.get("rate_limit_waits"),
        "errors": record.get("errors"),
        "view_limits": record.get("view_limits") or None,
    }
    with engine.begin() as conn:
        conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(**values))


def recent_runs(conn: Connection, limit: int = 10) -> list[dict[str, Any]]:
    rows = conn.execute(select(RUNS).order_by(RUNS.c.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


INTERRUPTED_ERROR = (
    "interrupted: the process ended before the run finished (killed, crashed or lost its "
    "database); the next run resumed from the last committed checkpoint"
)


def mark_interrupted_runs(engine: Engine) -> int:
    """Runs still "running" cannot be alive once the caller holds the writer lock (every run is
    written under it): their process died. Mark them "interrupted"; returns how many."""
    with engine.begin() as conn:
        result = conn.execute(
            update(RUNS)
            .where(RUNS.c.status == "running")
            .values(status="interrupted", errors=[INTERRUPTED_ERROR])
        )
    return int(result.rowcount or 0)
