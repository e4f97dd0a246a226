"""Reading `message_versions` back, and picking rooms and users of the simulated workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from etl.load.holds import add_hold
from etl.schema import metadata

VERSIONS = metadata.tables["message_versions"]
MESSAGES = metadata.tables["messages"]


def versions(engine: Engine, message_id: str) -> list[dict[str, Any]]:
    query = select(VERSIONS).where(VERSIONS.c.message_id == message_id).order_by(VERSIONS.c.version)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def message_row(engine: Engine, message_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(MESSAGES).where(MESSAGES.c.id == message_id)).first()
    return dict(row._mapping) if row else None


def all_versions(engine: Engine) -> set[tuple[Any, ...]]:
    columns = ("message_id", "version", "kind", "msg", "content_hash", "origin")
    with engine.connect() as conn:
        rows = conn.execute(select(*(VERSIONS.c[c] for c in columns)))
        return {tuple(row) for row in rows}


def readable_channels(ws: Any, count: int) -> list[str]:
    admin = ws.credentials["admin"]["user_id"]
    rooms = sorted(r for r in ws.readable_room_ids(admin) if ws.rooms[r]["t"] == "c")
    return rooms[:count]


def hold(engine: Engine, scope: str, target: str, reason: str = "case 42") -> int:
    with engine.begin() as conn:
        return add_hold(conn, scope, target, target_name=None, created_by="tester", reason=reason)
