"""manifest.json: what an export holds, so it can be verified later without the database.

The manifest is written last (atomically); an output directory without one is an unfinished export.
`verify_location` recomputes sizes, SHA-256 and row counts and reports every difference.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any, cast

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from etl.export.atomic_files import WrittenFile, write_bytes_atomic
from etl.export.fs import Location
from etl.export.paths import is_temp_name

MANIFEST = "manifest.json"
FORMAT = "rocketchat-etl-archive"
FORMAT_VERSION = 1
CHUNK = 1 << 20
# An archive's data file: `part-NNNNN-<generation>.parquet` (export.archive)
_GENERATION_FILE = re.compile(r"(?:^|/)part-\d{5}-([0-9a-f]{12})\.parquet$")


@cache  # the running code's version; importlib.metadata scans sys.path on every call
def tool_version() -> str:
    try:
        return version("rocketchat-etl")
    except PackageNotFoundError:
        return "unknown"


def schema_fields(schema: pa.Schema) -> list[dict[str, Any]]:
    """A JSON description of an Arrow schema: name, type, nullability, JSON-string flag."""
    return [
        {
            "name": field.name,
            "type": str(field.type),
            "nullable": field.nullable,
            "json": bool(field.metadata and field.metadata.get(b"rcetl.json") == b"true"),
        }
        for field in schema
    ]


def table_entry(
    schema: pa.Schema, files: list[WrittenFile], partitioning: list[str] | None = None
) -> dict[str, Any]:
    return {
        "rows": sum(f.rows for f in files),
        "schema": schema.to_string(show_schema_metadata=False, show_field_metadata=False),
        "fields": schema_fields(schema),
        "partitioning": partitioning or [],
        "files": [f.to_dict() for f in files],
    }


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_json(location: Location, relative: str, document: dict[str, Any]) -> None:
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str)
    write_bytes_atomic(location, relative, data + b"\n")


def read_json(location: Location, relative: str) -> dict[str, Any]:
    return cast(dict[str, Any], orjson.loads(location.read_bytes(relative)))


def _hash_file(location: Location, relative: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with location.fs.open_input_stream(location.full(relative)) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _check_parquet(
    location: Location, entry: dict[str, Any], fields: list[dict[str, Any]]
) -> list[str]:
    path = entry["path"]
    try:
        with location.fs.open_input_file(location.full(path)) as handle:
            parquet = pq.ParquetFile(handle)
            rows, schema = parquet.metadata.num_rows, parquet.schema_arrow
    except (OSError, pa.ArrowException) as exc:
        return [f"{path}: unreadable Parquet file ({exc})"]
    problems = []
    if rows != entry["rows"]:
        problems.append(f"{path}: {rows} rows, manifest says {entry['rows']}")
    expected = [(f["name"], f["type"]) for f in fields]
    if [(f.name, str(f.type)) for f in schema] != expected:
        problems.append(f"{path}: schema differs from the manifest")
    return problems


def verify_files(
    location: Location, entries: list[dict[str, Any]], fields: list[dict[str, Any]] | None
) -> list[str]:
    """Check listed files: present, same size and SHA-256, and for Parquet files (`fields`
    given) row count and schema as recorded."""
    problems = []
    for entry in entries:
        path = entry["path"]
        if not location.exists(path):
            problems.append(f"{path}: missing")
            continue
        size, sha = _hash_file(location, path)
        if size != entry["bytes"] or sha != entry["sha256"]:
            problems.append(f"{path}: changed (size {size} vs {entry['bytes']}, sha256 differs)")
            continue
        if fields is not None:
            problems.extend(_check_parquet(location, entry, fields))
    return problems


def verify_manifest(location: Location, manifest: dict[str, Any]) -> list[str]:
    """Every difference between an archive and its manifest (empty list: the archive is intact)."""
    problems: list[str] = []
    listed = {MANIFEST}
    # `--with-files`: the uploads' bytes (checked by etl.export.archive_files)
    listed.update(f["path"] for f in manifest.get("files", {}).get("files", []))
    for name, table in sorted(manifest.get("tables", {}).items()):
        listed.update(f["path"] for f in table["files"])
        total = sum(f["rows"] for f in table["files"])
        if total != table["rows"]:
            problems.append(f"table {name}: files hold {total} rows, manifest says {table['rows']}")
        problems.extend(verify_files(location, table["files"], table["fields"]))
    for path in location.list_files():
        if path not in listed:
            problems.append(f"{path}: {_unlisted(path, manifest)}")
    return problems


def _unlisted(path: str, manifest: dict[str, Any]) -> str:
    if is_temp_name(path):
        return "leftover temporary file not in the manifest"
    tagged = _GENERATION_FILE.search(path)
    if tagged and manifest.get("generation") and tagged.group(1) != manifest["generation"]:
        return (
            "left by an interrupted or replaced archive run, not in the manifest "
            "(the next `export archive` into this folder removes it)"
        )
    return "extra file not in the manifest"
