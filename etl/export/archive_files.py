"""`rcetl export archive --with-files`: the uploads' stored bytes in the archive's `files/`
folder (content-addressed like the store: `files/sha256/<ab>/<digest>`), each listed in the
manifest with its size and SHA-256.

The manifest's `files.complete` is true only when every live upload the archive holds has its
bytes in `files/`; otherwise `files.not_included` counts the others by reason (forbidden,
skipped, missing, not fetched yet...). `verify` checks both: every listed file, and the claim.
"""

from __future__ import annotations

import shutil
from collections import Counter
from typing import Any

import pyarrow.parquet as pq
import sqlalchemy as sa

from etl.export.atomic_files import AtomicBytesWriter
from etl.export.filters import ExportFilters
from etl.export.fs import Location
from etl.export.manifest import verify_files
from etl.schema import metadata

FOLDER = "files"
CHUNK = 1 << 20


def archive_path(digest: str) -> str:
    return f"{FOLDER}/sha256/{digest[:2]}/{digest}"


def copy_files(
    conn: sa.Connection, location: Location, store: Location, filters: ExportFilters
) -> dict[str, Any]:
    """Copy the stored bytes of the archived uploads; returns the manifest's `files` entry."""
    t = metadata.tables["uploads"]
    query = sa.select(t.c.file_status, t.c.file_sha256, t.c.file_stored_path)
    where = filters.where(t, metadata)
    query = query.where(t.c.deleted_at.is_(None), *([where] if where is not None else []))
    entries: dict[str, dict[str, Any]] = {}
    missing: Counter[str] = Counter()
    for row in conn.execute(query):
        if row.file_status != "stored" or not row.file_sha256:
            missing[row.file_status or "not fetched"] += 1
            continue
        if row.file_sha256 not in entries:
            entry = _copy(location, store, row.file_stored_path, row.file_sha256)
            if entry is None:
                missing["gone from the file store"] += 1
                continue
            entries[row.file_sha256] = entry
    files = sorted(entries.values(), key=lambda e: str(e["path"]))
    return {
        "complete": not missing,
        "count": len(files),
        "bytes": sum(int(f["bytes"]) for f in files),
        "not_included": dict(sorted(missing.items())),
        "files": files,
    }


def _copy(location: Location, store: Location, stored: str, digest: str) -> dict[str, Any] | None:
    """One stored file into the archive, hashed on the way; None when the store lacks it or
    holds other bytes under its name (never archived as if it were the upload)."""
    if not store.exists(stored):
        return None
    target = AtomicBytesWriter(location, archive_path(digest))
    with store.fs.open_input_stream(store.full(stored)) as source:
        shutil.copyfileobj(source, target.sink, CHUNK)
    if target.sink.digest.hexdigest() != digest:
        target.abort()
        return None
    return target.commit(rows=0).to_dict()


def verify_archived_files(location: Location, manifest: dict[str, Any]) -> list[str]:
    """Every listed file present with its size and SHA-256 (= its name), and, when the manifest
    says `complete`, every live upload of the archive's `uploads` table among them."""
    section = manifest.get("files")
    if not section:
        return []
    problems = verify_files(location, section["files"], None)
    problems += [
        f"{f['path']}: named for another digest"
        for f in section["files"]
        if f["path"] != archive_path(str(f["sha256"]))
    ]
    if section.get("complete"):
        listed = {f["sha256"] for f in section["files"]}
        for part in manifest.get("tables", {}).get("uploads", {}).get("files", []):
            if not location.exists(part["path"]):
                continue  # reported as missing by the table check
            with location.fs.open_input_file(location.full(part["path"])) as handle:
                table = pq.read_table(handle, columns=["id", "file_sha256", "deleted_at"])
            for row in table.to_pylist():
                if row["deleted_at"] is None and row["file_sha256"] not in listed:
                    problems.append(f"upload {row['id']}: no file, but the manifest says complete")
    return problems
