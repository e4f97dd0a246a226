"""Relative paths inside an export: Hive partition folders whose values cannot escape the root.

Values are percent-encoded with nothing left unencoded but letters, digits and `_.-~`, so `/`, `=`,
`%`, `\\`, NUL and non-ASCII never reach the filesystem raw, and every segment starts with `key=`,
so even `..` becomes the harmless folder `rid=..`. pyarrow (`partitioning="hive"`), DuckDB
(`hive_partitioning=true`) and pandas decode the values back.
"""

from __future__ import annotations

import posixpath
import re
import uuid
from urllib.parse import quote

NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
MAX_SEGMENT_BYTES = 240
TEMP_MARK = ".tmp-"
_TEMP_NAME = re.compile(r"^\..+\.tmp-[0-9a-f]{12}$")


class UnsafePathError(ValueError):
    """A path that would leave the output directory or that no filesystem can hold."""


def partition_segment(key: str, value: str | None) -> str:
    """`key=<escaped value>`; None becomes the Hive null partition."""
    encoded = NULL_PARTITION if value is None else quote(value, safe="")
    segment = f"{key}={encoded}"
    if len(segment.encode()) > MAX_SEGMENT_BYTES:
        raise UnsafePathError(f"partition value too long for a folder name: {key}={value[:40]!r}…")
    return segment


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
