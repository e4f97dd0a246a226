"""What an export records about the database it came from: server, watermarks, change marker."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa

from etl.schema import metadata
from etl.view_limits import recorded_view_limits

# Public settings that name the server (Rocket.Chat exposes its own URL as `Site_Url`).
SERVER_URL_SETTING = "Site_Url"


def max_change_seq(conn: sa.Connection) -> int:
    """The newest change marker committed in this snapshot: the `change_seq` counter, which every
    write transaction bumps first (so it also covers writes that touched only child tables, such
    as a member listing); the largest marker in the tables if the counter is not there."""
    counters = metadata.tables["counters"]
    value = conn.execute(
        sa.select(counters.c.value).where(counters.c.name == "change_seq")
    ).scalar()
    if value is not None:
        return int(value)
    names = [n for n, t in metadata.tables.items() if "change_seq" in t.c]
    values = [
        conn.execute(sa.select(sa.func.max(metadata.tables[n].c.change_seq))).scalar()
        for n in names
    ]
    return max((v for v in values if v is not None), default=0)


def _setting_value(conn: sa.Connection, setting_id: str) -> Any:
    settings = metadata.tables["settings"]
    value = conn.execute(
        sa.select(sa.cast(settings.c.value, sa.Text)).where(settings.c.id == setting_id)
    ).scalar()
    return orjson.loads(value) if value else None


def _sync_state(conn: sa.Connection) -> list[dict[str, Any]]:
    table = metadata.tables["sync_state"]
    rows = conn.execute(sa.select(table).order_by(table.c.resource, table.c.scope)).mappings()
    return [dict(row) for row in rows]


def _last_sync_run(conn: sa.Connection) -> dict[str, Any] | None:
    runs = metadata.tables["sync_runs"]
    columns = [runs.c.id, runs.c.kind, runs.c.started_at, runs.c.finished_at, runs.c.status]
    row = conn.execute(sa.select(*columns).order_by(runs.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def _recorded_server(conn: sa.Connection, column: str) -> str | None:
    """The value the latest sync run that recorded one saw (runs from before 0002 have none)."""
    runs = metadata.tables["sync_runs"]
    query = sa.select(runs.c[column]).where(runs.c[column].is_not(None))
    return conn.execute(query.order_by(runs.c.id.desc()).limit(1)).scalar()


def snapshot_info(
    conn: sa.Connection, server_url: str | None = None, server_version: str | None = None
) -> dict[str, Any]:
    """Server, sync watermarks and change marker, read inside the export's snapshot.

    Without a URL or version from the caller they come from the sync run log, so an export from
    the CLI or the daemon still names the server; the URL falls back further to `Site_Url`.
    """
    url = server_url or _recorded_server(conn, "server_url")
    return {
        "server": {
            "url": url or _setting_value(conn, SERVER_URL_SETTING),
            "version": server_version or _recorded_server(conn, "server_version"),
        },
        "change_seq": max_change_seq(conn),
        "last_sync_run": _last_sync_run(conn),
        # What the syncing token could not enumerate: the export lacks it too. {} = nothing.
        "view_limits": recorded_view_limits(conn),
        "sync_watermarks": _sync_state(conn),
    }
