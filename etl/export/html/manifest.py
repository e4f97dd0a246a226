"""The HTML site's manifest.json: every file with its size and SHA-256, every room-month with its
signature and pages (first message key per page), the filters and the change marker of the run.
The next run reads it to rewrite only what changed; `rcetl export verify` checks the files."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

import orjson

from etl.export.html.fragments import SIDECAR
from etl.export.manifest import MANIFEST
from etl.export.paths import is_temp_name, join_relative

FORMAT = "rocketchat-etl-html"
FORMAT_VERSION = 2  # 2: pages without the run date, fragment sidecar, search delta


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_file(out: Path, relative: str, data: bytes) -> None:
    """Write atomically (temp name + rename). The caller hashes the bytes for the manifest (a
    hash here too was a tenth of a re-export's time)."""
    target = out / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:12]}")
    temp.write_bytes(data)
    os.replace(temp, target)


def read_unchanged(root: Path, relative: str, sha256: str | None) -> bytes | None:
    """A file a previous run wrote, if it still has the checksum that run's manifest gives."""
    try:
        data = (root / relative).read_bytes()
    except OSError:
        return None
    return data if sha256 is not None and sha256_of(data) == sha256 else None


def file_entry(out: Path, relative: str) -> dict[str, Any]:
    data = (out / relative).read_bytes()
    return {"path": relative, "bytes": len(data), "sha256": sha256_of(data)}


class SiteWriter:
    """Writes a site file unless the previous run left the same bytes there; keeps every entry."""

    def __init__(self, root: Path, previous: dict[str, Any] | None) -> None:
        self.root = root
        self.before = {f["path"]: f for f in (previous or {}).get("files", [])}
        self.written: dict[str, dict[str, Any]] = {}

    def __call__(self, path: str, data: bytes) -> dict[str, Any]:
        entry = {"path": path, "bytes": len(data), "sha256": sha256_of(data)}
        old = self.before.get(path)
        if old is None or old.get("sha256") != entry["sha256"] or not (self.root / path).is_file():
            write_file(self.root, path, data)
        self.written[path] = entry
        return entry

    def keep(self, path: str) -> bool:
        """Keep the previous run's file as it is, if the previous manifest lists it and it is
        still there (the caller knows its content would be the same)."""
        old = self.before.get(path)
        if old is None or not (self.root / path).is_file():
            return False
        self.written[path] = {k: old[k] for k in ("path", "bytes", "sha256")}
        return True


def read_manifest(out: Path) -> dict[str, Any] | None:
    try:
        document = orjson.loads((out / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def write_manifest(out: Path, document: dict[str, Any]) -> None:
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS, default=str)
    write_file(out, MANIFEST, data + b"\n")


def site_files(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def verify_site(out: Path, manifest: dict[str, Any]) -> list[str]:
    """Every difference between the site's files and its manifest (empty: intact)."""
    problems = []
    listed = {MANIFEST}  # and the fragment sidecar, a cache (fragments.py)
    for entry in manifest.get("files", []):
        path = entry["path"]
        listed.add(path)
        target = out / path
        if not target.is_file():
            problems.append(f"{path}: missing")
            continue
        data = target.read_bytes()
        if len(data) != entry["bytes"] or sha256_of(data) != entry["sha256"]:
            problems.append(
                f"{path}: changed (size {len(data)} vs {entry['bytes']}, sha256 differs)"
            )
    for path in site_files(out):
        if path not in listed and not path.startswith(SIDECAR):
            kind = "leftover temporary file" if is_temp_name(path) else "extra file"
            problems.append(f"{path}: {kind} not in the manifest")
    return problems


def remove_stale(
    root: Path, previous: dict[str, Any] | None, files: dict[str, dict[str, Any]]
) -> int:
    """Delete files the previous manifest listed and this one does not (never anything else)."""
    removed = 0
    for entry in (previous or {}).get("files", []):
        path = entry["path"]
        if path not in files:
            target = root / join_relative(path)  # a tampered manifest cannot reach outside
            if target.is_file():
                target.unlink()
                removed += 1
    return removed


def all_files(
    months: list[dict[str, Any]], written: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every file of the site: those written now, and the pages and search shards of the
    room-months this run left alone."""
    files = dict(written)
    for entry in months:
        for page in entry["pages"]:
            files.setdefault(page["path"], {k: page[k] for k in ("path", "bytes", "sha256")})
        if "search" in entry:
            files.setdefault(entry["search"]["path"], entry["search"])
    return files
