"""One-off archives: every table as a Parquet dataset plus a manifest.json, from one snapshot."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from etl.export.arrow_schema import arrow_schema
from etl.export.dataset import Partitioning, write_partitioned, write_single
from etl.export.filters import ExportFilters
from etl.export.fs import Location, open_location
from etl.export.manifest import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ForeignManifestError,
    now_utc,
    read_json,
    table_entry,
    tool_version,
    write_json,
)
from etl.export.options import ExportOptions
from etl.export.reader import iter_batches, read_snapshot
from etl.export.snapshot import snapshot_info
from etl.export.writer import remove_stale_temps
from etl.load.holds import active_hold_summaries
from etl.schema import metadata

# Internal state of this tool, meaningless in an archive.
NOT_ARCHIVED = ("counters", "export_state", "job_runs")
PARTITIONS = {"messages": Partitioning(column="rid", month_of="ts")}


def archive_tables(filters: ExportFilters) -> list[sa.Table]:
    candidates = [name for name in metadata.tables if name not in NOT_ARCHIVED]
    return [metadata.tables[name] for name in filters.select_tables(candidates)]


def _order(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    """Partition keys first (one open file at a time), then the primary key (stable output)."""
    partitioning = PARTITIONS.get(table.name)
    keys = [table.c[partitioning.column], table.c[partitioning.month_of]] if partitioning else []
    return keys + list(table.primary_key.columns)


def _export_table(
    conn: sa.Connection,
    location: Location,
    table: sa.Table,
    filters: ExportFilters,
    options: ExportOptions,
) -> dict[str, Any]:
    schema = arrow_schema(table)
    where = filters.where(table, metadata)
    batches = iter_batches(conn, table, where, _order(table), options.batch_rows)
    partitioning = PARTITIONS.get(table.name)
    if partitioning is None:
        file = write_single(location, table.name, schema, batches, options)
        return table_entry(schema, [file])
    files = write_partitioned(location, table.name, schema, batches, partitioning, options)
    entry = table_entry(partitioning.file_schema(schema), files, partitioning.keys)
    entry["dataset_schema"] = schema.to_string(show_field_metadata=False)
    return entry


def _previous_files(location: Location) -> set[str]:
    """Files of the archive already in `location`; its manifest is removed, so that until the new
    manifest is written the folder does not look like a complete archive."""
    if not location.exists(MANIFEST):
        return set()
    try:
        previous = read_json(location, MANIFEST)
        files = {f["path"] for t in previous.get("tables", {}).values() for f in t["files"]}
    except (ValueError, KeyError, TypeError):
        previous, files = {}, set()
    if previous.get("format", FORMAT) != FORMAT:
        raise ForeignManifestError(
            f"{location.uri} holds a {previous.get('format')!r}, not an archive; use another --out"
        )
    location.delete(MANIFEST)
    return files


def export_archive(
    engine: sa.Engine,
    out: str,
    filters: ExportFilters | None = None,
    *,
    options: ExportOptions | None = None,
    server_url: str | None = None,
    server_version: str | None = None,
) -> dict[str, Any]:
    """Write an archive of the database to `out` (a folder or URI); returns the manifest.

    `server_url`/`server_version` go into the manifest; without them both come from the latest
    sync run that recorded them (`sync_runs`), the URL else from the synced `Site_Url` setting."""
    filters = filters or ExportFilters()
    options = options or ExportOptions()
    tables = archive_tables(filters)
    location = open_location(out, options.endpoint_url, create=True)
    remove_stale_temps(location)
    previous = _previous_files(location)
    with read_snapshot(engine) as conn:
        info = snapshot_info(conn, server_url, server_version)
        holds = active_hold_summaries(conn)
        entries = {
            str(table.name): _export_table(conn, location, table, filters, options)
            for table in tables
        }
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool": {"name": "rocketchat-etl", "version": tool_version()},
        "exported_at": now_utc(),
        "location": location.uri,
        "filters": filters.to_dict(),
        **info,
        # Rooms and users exempt from redaction and purge when the archive was taken.
        "legal_holds": holds,
        "tables": entries,
    }
    write_json(location, MANIFEST, manifest)
    current = {f["path"] for t in entries.values() for f in t["files"]}
    for stale in sorted(previous - current):
        if location.exists(stale):
            location.delete(stale)
    return manifest
