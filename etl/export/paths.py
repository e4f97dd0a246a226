"""Relative paths inside an export: Hive partition folders whose values cannot escape the root.

Values are percent-encoded with nothing left unencoded but letters, digits and `_.-~`, so `/`, `=`,
`%`, `\\`, NUL and non-ASCII never reach the filesystem raw, and every segment starts with `key=`,
so even `..` becomes the harmless folder `rid=..`. pyarrow (`partitioning="hive"`), DuckDB
(`hive_partitioning=true`) and pandas decode the values back.

Filesystems cap a path component at 255 bytes (S3 keys at 1024 in all). A value whose segment
would exceed MAX_SEGMENT_BYTES is shortened to its escaped prefix plus `~` and a hash of the whole
value: unique, longer than any unshortened segment (so the two forms never meet), and mapped back
to the value by the manifest.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import uuid
from urllib.parse import quote

from etl.errors import UnsafePathError

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
MAX_SEGMENT_BYTES = 240
SHORTENED_SEGMENT_BYTES = 255  # the filesystem limit; a shortened segment is 244-255 bytes
HASH_CHARS = 32  # 128 bits of SHA-256
TEMP_MARK = ".tmp-"
_TEMP_NAME = re.compile(r"^\..+\.tmp-[0-9a-f]{12}$")


def partition_segment(key: str, value: str | None) -> str:
    """`key=<escaped value>`; None becomes the Hive null partition; too long, `is_shortened`."""
    encoded = NULL_PARTITION if value is None else quote(value, safe="")
    segment = f"{key}={encoded}"
    if len(segment.encode()) <= MAX_SEGMENT_BYTES:
        return segment
    assert value is not None
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    keep = SHORTENED_SEGMENT_BYTES - len(f"{key}=~{digest}".encode())
    if keep < 8:
        raise UnsafePathError(f"partition key too long for a folder name: {key[:40]!r}…")
    prefix = ""
    for char in value:  # whole characters, so the prefix still decodes as UTF-8
        escaped = quote(char, safe="")
        if len(prefix) + len(escaped) > keep:
            break
        prefix += escaped
    return f"{key}={prefix}~{digest}"


def is_shortened(segment: str) -> bool:
    """A segment made by `partition_segment` for a value too long to keep whole."""
    return len(segment.encode()) > MAX_SEGMENT_BYTES


def join_relative(*parts: str) -> str:
    """Join relative parts with `/`, refusing anything that is absolute or climbs out."""
    path = posixpath.join(*parts)
    normal = posixpath.normpath(path)
    if path.startswith("/") or normal == ".." or normal.startswith("../") or "\x00" in path:
        raise UnsafePathError(f"path escapes the output directory: {path!r}")
    return normal


def temp_name(relative: str) -> str:
    """A hidden sibling name: readers skip names starting with `.`; `*.parquet` globs miss it."""
    folder, name = posixpath.split(relative)
    return posixpath.join(folder, f".{name}{TEMP_MARK}{uuid.uuid4().hex[:12]}")


def is_temp_name(relative: str) -> bool:
    return bool(_TEMP_NAME.match(posixpath.basename(relative)))
