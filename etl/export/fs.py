"""Where an export goes: a local directory or object storage, through `pyarrow.fs`.

`s3://bucket/prefix` uses the usual AWS environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_REGION/AWS_DEFAULT_REGION, profiles); an S3-compatible server (MinIO, Ceph,
moto) is reached with AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL or the `endpoint_url` argument.
Anything else with a scheme goes to `FileSystem.from_uri` (gs://, hdfs://, ...).
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import urlparse

import pyarrow.fs as pafs

from etl.export.paths import join_relative


@dataclass(frozen=True)
class Location:
    """A filesystem and a root path in it; every other path is relative to the root."""

    fs: pafs.FileSystem
    root: str
    uri: str

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def full(self, relative: str) -> str:
        return posixpath.join(self.root, join_relative(relative)) if relative else self.root

    def exists(self, relative: str) -> bool:
        return cast(bool, self.fs.get_file_info(self.full(relative)).type == pafs.FileType.File)

    def list_files(self, relative: str = "") -> list[str]:
        """Every file below `relative`, as paths relative to the root, sorted."""
        selector = pafs.FileSelector(self.full(relative), recursive=True, allow_not_found=True)
        prefix = self.root.rstrip("/") + "/"
        return sorted(
            info.path.removeprefix(prefix)
            for info in self.fs.get_file_info(selector)
            if info.type == pafs.FileType.File
        )

    def read_bytes(self, relative: str) -> bytes:
        with self.fs.open_input_stream(self.full(relative)) as stream:
            return cast(bytes, stream.read())

    def delete(self, relative: str) -> None:
        self.fs.delete_file(self.full(relative))

    def make_dirs(self, relative: str) -> None:
        # Object stores have no folders; creating them there only adds marker objects.
        if self.is_local:
            self.fs.create_dir(self.full(relative), recursive=True)


def s3_endpoint(endpoint_url: str | None) -> str | None:
    """The S3-compatible server to use: the setting, else the AWS environment's, else AWS."""
    return (
        endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    )


def s3_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def _s3_filesystem(endpoint_url: str | None) -> pafs.S3FileSystem:
    endpoint = s3_endpoint(endpoint_url)
    region = s3_region()
    options: dict[str, str] = {}
    if region:
        options["region"] = region
    if endpoint:
        parsed = urlparse(endpoint if "://" in endpoint else f"https://{endpoint}")
        options["endpoint_override"] = parsed.netloc
        options["scheme"] = parsed.scheme
    return pafs.S3FileSystem(**options)


def open_location(out: str, endpoint_url: str | None = None, create: bool = False) -> Location:
    """Resolve `out` (a path, file://, s3:// or another pyarrow URI) to a Location; `create`
    makes a local folder (exports do; verify and compact must not invent one)."""
    if out.startswith("s3://"):
        parsed = urlparse(out)
        root = posixpath.join(parsed.netloc, parsed.path.strip("/")).rstrip("/")
        return Location(_s3_filesystem(endpoint_url), root, out)
    if "://" in out and not out.startswith("file://"):
        fs, root = pafs.FileSystem.from_uri(out)
        return Location(fs, root.rstrip("/"), out)
    path = Path(out.removeprefix("file://")).expanduser().resolve()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return Location(pafs.LocalFileSystem(), path.as_posix(), str(path))
