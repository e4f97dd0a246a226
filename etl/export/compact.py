"""`rcetl export compact`: rewrite a dataset's many small files into one file per folder.

Feed runs add one file per table per run; after a year of hourly runs that is thousands of small
files, slow to list and scan. Compaction streams the files of each folder, in run order, into one
new file (rows and the `_feed_run` column unchanged, so the replay rule still holds), then points
manifest.json at it, and only then deletes the old files. A crash before the manifest is
rewritten leaves the old files in charge (the new one shows up in `verify` as an extra file);
a crash after it leaves old files that `verify` lists as extra and that can be deleted.
Do not run it at the same time as a feed run into the same folder.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq

from etl.errors import CompactError
from etl.export.atomic_files import ParquetFileWriter, WrittenFile
from etl.export.feed_manifest import FEED_FORMAT, first_run
from etl.export.fs import Location, open_location
from etl.export.manifest import MANIFEST, read_json, write_json
from etl.export.options import ExportOptions


@dataclass
class CompactResult:
    merged: dict[str, int] = field(default_factory=dict)  # new file -> how many files it replaced
    skipped: list[str] = field(default_factory=list)  # folders left alone, with the reason
    removed: list[str] = field(default_factory=list)


def merged_name(paths: list[str]) -> str:
    """`run-000001--run-000009.parquet` from the first and last names of a folder."""
    first = posixpath.basename(paths[0]).removesuffix(".parquet").split("--")[0]
    last = posixpath.basename(paths[-1]).removesuffix(".parquet").split("--")[-1]
    return posixpath.join(posixpath.dirname(paths[0]), f"{first}--{last}.parquet")


def _merge(location: Location, paths: list[str], options: ExportOptions) -> WrittenFile | str:
    """Stream `paths` into one new file; returns it, or why the folder was skipped."""
    schemas = []
    for path in paths:
        with location.fs.open_input_file(location.full(path)) as handle:
            schemas.append(pq.ParquetFile(handle).schema_arrow)
    if any(not s.equals(schemas[0]) for s in schemas[1:]):
        return "files have different schemas (written by different versions); left as they are"
    target = merged_name(paths)
    with ParquetFileWriter(location, target, schemas[0], options) as writer:
        for path in paths:
            with location.fs.open_input_file(location.full(path)) as handle:
                for batch in pq.ParquetFile(handle).iter_batches(batch_size=options.batch_rows):
                    writer.write(batch)
        return writer.close()


def _newest_feed_run(manifest: dict[str, Any]) -> float:
    """A feed's newest run may not have committed its position yet, and would then be redone
    under the same number: its files stay as they are. Archives have no runs."""
    if manifest.get("format") != FEED_FORMAT or not manifest.get("runs"):
        return float("inf")
    runs: list[int] = [run["run"] for run in manifest["runs"]]
    return max(runs)


def _by_folder(files: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    folders: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted(files, key=lambda f: f["path"]):
        folders.setdefault(posixpath.dirname(entry["path"]), []).append(entry)
    return folders


def compact(
    out: str, tables: tuple[str, ...] = (), options: ExportOptions | None = None
) -> CompactResult:
    """Compact every dataset of the export at `out` (or those of `tables`)."""
    options = options or ExportOptions()
    location = open_location(out, options.endpoint_url)
    if not location.exists(MANIFEST):
        raise CompactError(f"{out}: no {MANIFEST}; compact works on an archive or a feed")
    manifest = read_json(location, MANIFEST)
    known = {name.split("/")[0] for name in manifest["tables"]}
    if unknown := sorted(set(tables) - known):
        raise CompactError(f"unknown table(s) {unknown}; this export has {sorted(known)}")
    result = CompactResult()
    replaced: list[str] = []
    newest = _newest_feed_run(manifest)
    for name, entry in manifest["tables"].items():
        if tables and name.split("/")[0] not in tables:
            continue
        kept = [f for f in entry["files"] if first_run(f["path"]) >= newest]
        mergeable = [f for f in entry["files"] if first_run(f["path"]) < newest]
        for folder, files in _by_folder(mergeable).items():
            outcome = (
                _merge(location, [f["path"] for f in files], options) if len(files) > 1 else None
            )
            if outcome is None or isinstance(outcome, str):
                kept.extend(files)
                if outcome:
                    result.skipped.append(f"{folder}: {outcome}")
                continue
            kept.append(outcome.to_dict())
            replaced.extend(f["path"] for f in files)
            result.merged[outcome.path] = len(files)
        entry["files"] = sorted(kept, key=lambda f: f["path"])
    if result.merged:
        write_json(location, MANIFEST, manifest)
    for path in replaced:
        location.delete(path)
        result.removed.append(path)
    return result
