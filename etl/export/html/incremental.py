"""Which room-months a run must rewrite, and where the run is recorded (`export_state`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from etl.errors import ForeignManifestError
from etl.export.filters import ExportFilters
from etl.export.html.manifest import FORMAT, FORMAT_VERSION, read_manifest
from etl.export.html.queries import RoomMonth, months_touched_through_threads
from etl.export.html.search_index import SEARCH_FORMAT
from etl.export.manifest import tool_version
from etl.schema import metadata

STATE_PREFIX = "html:"


def _neighbours(months: list[str], month: str) -> list[str]:
    i = months.index(month)
    return months[max(i - 1, 0) : i] + months[i + 1 : i + 2]


def is_full(previous: dict[str, Any] | None) -> bool:
    """A run with no previous run of the same export to build on rewrites everything."""
    return previous is None or "months" not in previous


def dirty_months(
    conn: Connection,
    filters: ExportFilters,
    previous: dict[str, Any] | None,
    signatures: dict[RoomMonth, list[Any]],
    room_sigs: dict[str, str],
    months_of: dict[str, list[str]],
) -> set[RoomMonth]:
    if previous is None or is_full(previous):
        return set(signatures)
    before = {(e["room"], e["month"]): e["signature"] for e in previous["months"]}
    dirty = {key for key, sig in signatures.items() if before.get(key) != sig[:2]}
    since = int(previous.get("change_seq") or 0)
    dirty |= months_touched_through_threads(conn, filters, since) & set(signatures)
    old_rooms = previous.get("rooms", {})
    for rid, sig in room_sigs.items():
        if old_rooms.get(rid, {}).get("signature") != sig:
            dirty.update((rid, m) for m in months_of.get(rid, []))
    # A month that appears or disappears changes its neighbours' older/newer links.
    old_months: dict[str, list[str]] = {}
    for rid, month in sorted(before):
        old_months.setdefault(rid, []).append(month)
    for rid, month in set(signatures) - set(before):
        dirty.update((rid, m) for m in _neighbours(months_of[rid], month))
    for rid, month in set(before) - set(signatures):
        gone_next_to = _neighbours(old_months[rid], month)
        dirty.update((rid, m) for m in gone_next_to if (rid, m) in signatures)
    return dirty


def previous_run(
    out: Path, filters: ExportFilters, search: bool, title: str
) -> dict[str, Any] | None:
    """The previous run's manifest if this run may build on it, else None (full rewrite); a run
    with search builds on one whose search index it can extend, and every page shows the title."""
    manifest = read_manifest(out)
    if manifest is None:
        return None
    if manifest.get("format") != FORMAT:
        raise ForeignManifestError(
            f"{out} holds a {manifest.get('format') or 'different'} export, not an HTML site; "
            "choose another --out"
        )
    same = (
        manifest.get("format_version") == FORMAT_VERSION
        and manifest.get("tool_version") == tool_version()
        and manifest.get("filters") == filters.to_dict()
        and manifest.get("title") == title
        and (manifest.get("search") or {}).get("format") == (SEARCH_FORMAT if search else None)
    )
    return manifest if same else {"files": manifest.get("files", [])}


def state_target(out: Path) -> str:
    return STATE_PREFIX + str(out.resolve())


def record_run(engine: Engine, out: Path, change_seq: int) -> None:
    """One `export_state` row per site folder: `rcetl search` finds the newest site from it."""
    table = metadata.tables["export_state"]
    target = state_target(out)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        updated = conn.execute(
            sa.update(table)
            .where(table.c.target == target)
            .values(last_change_seq=change_seq, last_run_at=now, runs=table.c.runs + 1)
        ).rowcount
        if not updated:
            conn.execute(
                sa.insert(table).values(
                    target=target, last_change_seq=change_seq, last_run_at=now, runs=1
                )
            )


def latest_site(conn: Connection) -> Path | None:
    """The folder of the most recent HTML export of this database that still exists."""
    table = metadata.tables["export_state"]
    rows = conn.execute(
        sa.select(table.c.target)
        .where(table.c.target.startswith(STATE_PREFIX, autoescape=True))
        .order_by(table.c.last_run_at.desc())
    ).scalars()
    for target in rows:
        folder = Path(target[len(STATE_PREFIX) :])
        if (folder / "manifest.json").is_file():
            return folder
    return None
