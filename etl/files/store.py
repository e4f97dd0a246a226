"""The content-addressed file store: `sha256/<ab>/<digest>` under a local folder or an
s3:// prefix (the exports' `etl.export.fs`), so identical files are kept once. Partial downloads
live in a local folder (`<id>.part`) until their digest is known."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from etl.config import FilesSettings
from etl.export.fs import Location, open_location

CHUNK = 1024 * 1024


def stored_path(digest: str) -> str:
    return f"sha256/{digest[:2]}/{digest}"


class FileStore:
    def __init__(self, settings: FilesSettings) -> None:
        endpoint = str(settings.endpoint_url) if settings.endpoint_url else None
        self.location: Location = open_location(settings.store, endpoint, create=True)
        default = (
            Path(self.location.root) / ".partial" if self.location.is_local else Path(".partial")
        )
        self.partial_dir = settings.partial_dir or default
        self.partial_dir.mkdir(parents=True, exist_ok=True)

    def part(self, upload_id: str, version: str) -> Path:
        """Where the bytes of one version of `upload_id` gather until complete (kept across runs:
        resumable); parts of its other versions are stale and removed."""
        tag = hashlib.sha256(version.encode()).hexdigest()[:12]
        path = self.partial_dir / f"{upload_id}-{tag}.part"
        for stale in self.partial_dir.glob(f"{upload_id}-*.part"):
            if stale != path:
                stale.unlink(missing_ok=True)
        return path

    def has(self, digest: str) -> bool:
        return self.location.exists(stored_path(digest))

    def put(self, part: Path, digest: str) -> str:
        """Move a complete download into the store under its digest (once per content)."""
        relative = stored_path(digest)
        if self.has(digest):
            part.unlink()
            return relative
        full = self.location.full(relative)
        if self.location.is_local:
            Path(full).parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, full)
            return relative
        with part.open("rb") as source, self.location.fs.open_output_stream(full) as sink:
            shutil.copyfileobj(source, sink, CHUNK)
        part.unlink()
        return relative

    def remove_unreferenced(self, referenced: set[str]) -> int:
        """Remove the stored files whose digest no upload row points at any more."""
        gone = [
            path
            for path in self.location.list_files("sha256")
            if path.rsplit("/", 1)[-1] not in referenced
        ]
        for path in gone:
            self.location.delete(path)
        return len(gone)
