"""The feed's manifest.json: its runs, its position, and every file (as in an archive manifest).

Datasets are keyed `<table>/changes` and `<table>/deletions`, with the same entries as archive
tables, so `verify` checks a feed exactly like an archive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from etl.errors import ForeignManifestError
from etl.export.atomic_files import WrittenFile
from etl.export.filters import ExportFilters
from etl.export.fs import Location
from etl.export.manifest import (
    MANIFEST,
    now_utc,
    read_json,
    schema_fields,
    tool_version,
)

FEED_FORMAT = "rocketchat-etl-feed"
_RUN_IN_NAME = re.compile(r"run-(\d+)")


@dataclass
class FeedResult:
    """One feed run; `run` is None when nothing changed since the previous run."""

    target: str
    run: int | None
    from_change_seq: int
    to_change_seq: int
    changes: dict[str, int] = field(default_factory=dict)
    deletions: dict[str, int] = field(default_factory=dict)
    files: list[WrittenFile] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.changes.values()) + sum(self.deletions.values())


def first_run(path: str) -> int:
    """The first run in a file, from its name (`run-000007.parquet`, `run-000001--run-000009`)."""
    match = _RUN_IN_NAME.search(path.rsplit("/", 1)[-1])
    return int(match.group(1)) if match else 0


def load_feed_manifest(location: Location, target: str, filters: ExportFilters) -> dict[str, Any]:
    """The existing feed manifest, or a new one; refuses an archive or another feed's folder."""
    if not location.exists(MANIFEST):
        return {
            "format": FEED_FORMAT,
            "format_version": 1,
            "target": target,
            "filters": filters.to_dict(),
            "runs": [],
            "tables": {},
        }
    manifest = read_json(location, MANIFEST)
    if manifest.get("format") != FEED_FORMAT or manifest.get("target") != target:
        raise ForeignManifestError(
            f"{location.uri} already holds {manifest.get('format')!r} for "
            f"{manifest.get('target')!r}, not this feed ({target}); use another --out"
        )
    return manifest


def _forget_runs_from(manifest: dict[str, Any], run: int) -> None:
    """Drop what a run that never committed its position wrote (it is being redone)."""
    manifest["runs"] = [r for r in manifest["runs"] if r["run"] < run]
    for entry in manifest["tables"].values():
        entry["files"] = [f for f in entry["files"] if first_run(f["path"]) < run]
        entry["rows"] = sum(f["rows"] for f in entry["files"])


def merge_run(
    manifest: dict[str, Any],
    result: FeedResult,
    schemas: dict[str, pa.Schema],
    info: dict[str, Any],
) -> None:
    """Add a run's files (`schemas`: per `<table>/<kind>` dataset) and summary to the manifest."""
    assert result.run is not None
    _forget_runs_from(manifest, result.run)
    for file in result.files:
        dataset = file.path.rsplit("/", 1)[0]
        schema = schemas[dataset]
        entry = manifest["tables"].setdefault(dataset, {"rows": 0, "files": [], "partitioning": []})
        entry["schema"] = schema.to_string(show_schema_metadata=False, show_field_metadata=False)
        entry["fields"] = schema_fields(schema)
        entry["files"].append(file.to_dict())
        entry["rows"] += file.rows
    manifest["runs"].append(
        {
            "run": result.run,
            "from_change_seq": result.from_change_seq,
            "to_change_seq": result.to_change_seq,
            "exported_at": now_utc(),
            "changes": result.changes,
            "deletions": result.deletions,
        }
    )
    manifest.update(info)
    manifest["position"] = result.to_change_seq
    manifest["tool"] = {"name": "rocketchat-etl", "version": tool_version()}
    manifest["exported_at"] = now_utc()
