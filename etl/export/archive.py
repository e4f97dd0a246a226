"""One-off archives: every table as a Parquet dataset plus a manifest.json, from one snapshot.

Re-archiving into the same folder is crash-safe. Each run writes its files under names tagged with
a new generation (`part-00000-<generation>.parquet`), so it never touches a file the previous
manifest lists; then it replaces `manifest.json` atomically (the commit point); then it removes
every data file of the archive's layout that the new manifest does not list, found by listing the
table folders, not by trusting the old manifest. Killed before the manifest, the folder still
holds the previous archive, complete; killed after it, the new one. Either way the next run
removes what the killed one left.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from etl.errors import ForeignManifestError
from etl.export.archive_files import FOLDER as FILES_FOLDER
from etl.export.archive_files import copy_files
from etl.export.arrow_schema import arrow_schema
from etl.export.atomic_files import remove_stale_temps
from etl.export.dataset import Partitioning, write_partitioned, write_single
from etl.export.filters import ExportFilters
from etl.export.fs import Location, open_location
from etl.export.manifest import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    now_utc,
    read_json,
    table_entry,
    tool_version,
    write_json,
)
from etl.export.options import ExportOptions
from etl.export.paths import is_temp_name
from etl.export.reader import iter_batches, read_snapshot
from etl.export.snapshot import snapshot_info
from etl.load.holds import active_hold_summaries
from etl.schema import metadata

# Internal state of this tool, meaningless in an archive.
NOT_ARCHIVED = ("counters", "export_state", "job_runs", "message_versions_pending")
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
    generation: str,
) -> dict[str, Any]:
    schema = arrow_schema(table)
    where = filters.where(table, metadata)
    batches = iter_batches(conn, table, where, _order(table), options.batch_rows)
    partitioning = PARTITIONS.get(table.name)
    tag = f"-{generation}"
    if partitioning is None:
        file = write_single(
            location, table.name, schema, batches, options, f"part-00000{tag}.parquet"
        )
        return table_entry(schema, [file])
    dataset = write_partitioned(location, table.name, schema, batches, partitioning, options, tag)
    entry = table_entry(partitioning.file_schema(schema), dataset.files, partitioning.keys)
    entry["dataset_schema"] = schema.to_string(show_field_metadata=False)
    # Values too long for a folder name were shortened (`paths.partition_segment`): readers see
    # the short form in the partition column; this maps it back to the whole value.
    entry["shortened_partitions"] = {partitioning.column: dict(sorted(dataset.shortened.items()))}
    return entry


def _check_destination(location: Location) -> None:
    """Refuse a folder that holds another kind of export; an archive there is replaced."""
    if not location.exists(MANIFEST):
        return
    try:
        kind = read_json(location, MANIFEST).get("format", FORMAT)
    except (ValueError, AttributeError):
        return  # an unreadable manifest is replaced like any leftover
    if kind != FORMAT:
        raise ForeignManifestError(
            f"{location.uri} holds a {kind!r}, not an archive; use another --out"
        )


def _remove_unlisted(location: Location, listed: set[str]) -> list[str]:
    """Delete the data files in the archive's own layout (table folders) that `listed` lacks:
    files of the previous archive, of a run killed before its manifest, temporaries."""
    removed = []
    for name in [*sorted(metadata.tables), FILES_FOLDER]:
        for path in location.list_files(name):
            own = path.endswith(".parquet") or is_temp_name(path) or name == FILES_FOLDER
            if own and path not in listed:
                location.delete(path)
                removed.append(path)
    return removed


def export_archive(
    engine: sa.Engine,
    out: str,
    filters: ExportFilters | None = None,
    *,
    options: ExportOptions | None = None,
    server_url: str | None = None,
    server_version: str | None = None,
    files_store: Location | None = None,
) -> dict[str, Any]:
    """Write an archive of the database to `out` (a folder or URI); returns the manifest.

    `files_store` (`--with-files`: the `sync.files.store`) adds the uploads' bytes under `files/`.

    `server_url`/`server_version` go into the manifest; without them both come from the latest
    sync run that recorded them (`sync_runs`), the URL else from the synced `Site_Url` setting."""
    filters = filters or ExportFilters()
    options = options or ExportOptions()
    tables = archive_tables(filters)
    location = open_location(out, options.endpoint_url, create=True)
    _check_destination(location)
    remove_stale_temps(location)
    generation = uuid.uuid4().hex[:12]
    with read_snapshot(engine) as conn:
        info = snapshot_info(conn, server_url, server_version)
        holds = active_hold_summaries(conn)
        entries = {
            str(table.name): _export_table(conn, location, table, filters, options, generation)
            for table in tables
        }
        files = None
        if files_store is not None and "uploads" in entries:
            files = copy_files(conn, location, files_store, filters)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool": {"name": "rocketchat-etl", "version": tool_version()},
        "exported_at": now_utc(),
        "generation": generation,
        "location": location.uri,
        "filters": filters.to_dict(),
        **info,
        # Rooms and users exempt from redaction and purge when the archive was taken.
        "legal_holds": holds,
        "tables": entries,
        **({"files": files} if files is not None else {}),
    }
    write_json(location, MANIFEST, manifest)  # the commit point
    listed = {f["path"] for t in entries.values() for f in t["files"]}
    _remove_unlisted(location, listed | {f["path"] for f in files["files"]} if files else listed)
    return manifest
