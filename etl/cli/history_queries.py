"""The database side of `rcetl hold` and `rcetl history`: names to ids, versions, tables.

Imported by those commands when they run, so that their `--help` loads neither SQLAlchemy nor
rich.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, or_, select

from etl.load.history import CONTENT_KEYS
from etl.schema import metadata

ROOMS, USERS = metadata.tables["rooms"], metadata.tables["users"]
VERSIONS, MESSAGES = metadata.tables["message_versions"], metadata.tables["messages"]


def resolve(engine: Engine, scope: str, value: str) -> tuple[str, str | None]:
    """(id, name) of the room or user given by id or by name, from the synced tables."""
    table, names = (
        (ROOMS, (ROOMS.c.name, ROOMS.c.fname)) if scope == "room" else (USERS, (USERS.c.username,))
    )
    query = select(table.c.id, names[0]).where(
        or_(table.c.id == value, *(n == value for n in names))
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    exact = [r for r in rows if r[0] == value]
    if exact or len(rows) == 1:
        row = (exact or rows)[0]
        return row[0], row[1]
    if rows:
        ids = ", ".join(sorted(r[0] for r in rows))
        raise click.UsageError(f"{scope} name {value!r} is ambiguous ({ids}): give the id")
    raise click.UsageError(
        f"no {scope} {value!r} (id or name) in the database; run `rcetl sync` first, or give its id"
    )


def render_holds(holds: list[dict[str, Any]], console: Console, title: str) -> None:
    table = Table(title=f"{len(holds)} {title}")
    for column in ("id", "scope", "target", "reason", "until", "placed", "by", "active"):
        table.add_column(column)
    for h in holds:
        target = h["target_id"] + (f" ({h['target_name']})" if h.get("target_name") else "")
        table.add_row(
            str(h["id"]), h["scope"], target, h.get("reason") or "", when(h.get("until")),
            when(h["created_at"]), h["created_by"], "yes" if h.get("active") else "no",
        )  # fmt: skip
    console.print(table)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def changed_fields(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """What a version changed compared with the one before it."""
    if current["kind"] in ("deleted", "redacted", "purged"):
        return [current["kind"]]
    if previous is None or current["kind"] == "created":
        return ["created"]
    before, after = previous.get("raw") or {}, current.get("raw") or {}
    return [key for key in CONTENT_KEYS if before.get(key) != after.get(key)] or ["(content)"]


def message_history(engine: Engine, message_id: str) -> list[dict[str, Any]]:
    query = select(VERSIONS).where(VERSIONS.c.message_id == message_id).order_by(VERSIONS.c.version)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    previous = None
    for row in rows:
        row["changed"] = changed_fields(previous, row)
        previous = row
    return rows
