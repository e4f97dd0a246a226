"""`rcetl status`: where each resource stands, which rooms cannot be read, what went wrong last."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

from etl.config import ALL_RESOURCES
from etl.load.holds import active_hold_summaries
from etl.schema import metadata
from etl.schema.bookkeeping import Quarantine
from etl.state import load_checkpoint, recent_runs
from etl.view_limits import describe, recorded_view_limits

TABLES = {"members": "room_members", "threads": "messages"}


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat()


def _rows(conn: Any, resource: str) -> int:
    table = metadata.tables[TABLES.get(resource, resource)]
    query = select(func.count()).select_from(table)
    if "deleted_at" in table.c:
        query = query.where(table.c.deleted_at.is_(None))
    if resource == "threads":
        query = query.where(table.c.tcount.is_not(None))
    return int(conn.execute(query).scalar_one())


def _resource_row(conn: Any, resource: str, now: datetime) -> dict[str, Any]:
    cp = load_checkpoint(conn, resource)
    watermark = synced = None
    if cp and cp.watermark_ms:
        watermark = datetime.fromtimestamp(cp.watermark_ms / 1000, tz=UTC)
    if cp and cp.updated_at:
        synced = cp.updated_at
    return {
        "resource": resource,
        "rows": _rows(conn, resource),
        "last_sync": _iso(synced),
        "watermark": _iso(watermark),
        # lag: how long ago the resource was last brought level with the server
        "lag_seconds": round((now - synced).total_seconds()) if synced else None,
        "status": cp.status if cp else "never synced",
    }


def resource_status(engine: Engine) -> dict[str, Any]:
    now = datetime.now(UTC)
    rooms = metadata.tables["rooms"]
    with engine.connect() as conn:
        resources = [_resource_row(conn, resource, now) for resource in ALL_RESOURCES]
        unreadable = conn.execute(
            select(
                rooms.c.id, rooms.c.name, rooms.c.t.label("kind"), rooms.c.unreadable_reason
            ).where(rooms.c.readable.is_(False), rooms.c.deleted_at.is_(None))
        ).all()
        quarantined = conn.execute(select(func.count()).select_from(Quarantine)).scalar_one()
        runs = recent_runs(conn, 5)
        view_limits = recorded_view_limits(conn)
        holds = active_hold_summaries(conn, now)
        files = file_counts(conn)
    return {
        "resources": resources,
        "unreadable_rooms": [
            {"id": r.id, "name": r.name, "type": r.kind, "reason": r.unreadable_reason}
            for r in unreadable
        ],
        "quarantined": int(quarantined),
        # what the token could not enumerate at the last runs that listed rooms and teams
        "view_limits": view_limits,
        "legal_holds": holds,
        "files": files,
        "last_runs": [
            {
                "id": run["id"],
                "kind": run["kind"],
                "status": run["status"],
                "started_at": _iso(run["started_at"]),
                "finished_at": _iso(run["finished_at"]),
                "requests": run["requests"],
                "errors": run["errors"] or [],
                "quarantined": _run_total(run, "quarantined"),
                "future_dated": _run_total(run, "future_dated"),
            }
            for run in runs
        ],
    }


def _run_total(run: dict[str, Any], name: str) -> int:
    counts = run.get("counts") or {}
    return sum(int(c.get(name) or 0) for c in counts.values() if isinstance(c, dict))


def _lag(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds}s"


def file_counts(conn: Any) -> dict[str, int]:
    """Live uploads by download outcome (`sync.files`): stored, forbidden, skipped, ..."""
    t = metadata.tables["uploads"]
    query = (
        select(t.c.file_status, func.count())
        .where(t.c.deleted_at.is_(None), t.c.file_status.is_not(None))
        .group_by(t.c.file_status)
    )
    return {status: int(n) for status, n in conn.execute(query)}


def describe_files(counts: dict[str, int]) -> str:
    text = "files: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    if counts.get("forbidden"):
        text += " (forbidden: the token's user has not joined those rooms; join them to fetch)"
    return text


def render_status(report: dict[str, Any], console: Console) -> None:
    console.print(_resources_table(report["resources"]))
    if report.get("files"):
        console.print(describe_files(report["files"]))
    if report["unreadable_rooms"]:
        console.print(_unreadable_table(report["unreadable_rooms"]))
    for permission, hides in report["view_limits"].items():
        console.print(f"[yellow]{describe(permission, hides)}[/yellow]")
    if report.get("legal_holds"):
        console.print(_holds_table(report["legal_holds"]))
    if report["quarantined"]:
        console.print(f"{report['quarantined']} record(s) in quarantine (table `quarantine`)")
    _print_runs(report["last_runs"], console)


def _resources_table(resources: list[dict[str, Any]]) -> Table:
    table = Table(title="Sync status")
    for column in ("resource", "rows", "last sync", "watermark", "lag", "status"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for row in resources:
        table.add_row(
            row["resource"],
            str(row["rows"]),
            row["last_sync"] or "-",
            row["watermark"] or "-",
            _lag(row["lag_seconds"]),
            row["status"] or "-",
        )
    return table


def _unreadable_table(unreadable: list[dict[str, Any]]) -> Table:
    rooms = Table(title=f"{len(unreadable)} room(s) this token cannot read")
    for column in ("room id", "name", "type", "reason"):
        rooms.add_column(column)
    for room in unreadable:
        rooms.add_row(room["id"], room["name"] or "", room["type"] or "", room["reason"] or "")
    return rooms


def _holds_table(holds: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(holds)} active legal hold(s): never redacted or purged")
    for column in ("id", "scope", "target", "reason", "until", "placed by"):
        table.add_column(column)
    for h in holds:
        target = h["target_id"] + (f" ({h['target_name']})" if h["target_name"] else "")
        table.add_row(
            str(h["id"]), h["scope"], target, h["reason"] or "", h["until"] or "",
            f"{h['created_by']} at {h['created_at']}",
        )  # fmt: skip
    return table


def _print_runs(runs: list[dict[str, Any]], console: Console) -> None:
    errors = [(run["id"], e) for run in runs for e in run["errors"]][:10]
    if runs:
        last = runs[0]
        console.print(
            f"last run: #{last['id']} {last['kind']} {last['status']} at {last['started_at']}"
        )
        if last["quarantined"]:
            console.print(
                f"[yellow]run #{last['id']}: {last['quarantined']} item(s) quarantined (see "
                "the `quarantine` table: resource, record_id, reason, raw)[/yellow]"
            )
        if last["future_dated"]:
            console.print(
                f"[yellow]run #{last['id']}: {last['future_dated']} document(s) dated after the "
                "server's time: kept, watermarks held at the server's time[/yellow]"
            )
    for run_id, error in errors:
        console.print(f"[red]run #{run_id}: {error}[/red]")
