"""Where each page of the site lives, and how one page links to another.

Room folders are escaped exactly as the Parquet archive escapes partition values
(`rooms/rid=<percent-encoded id>/`), so no room id can climb out of the output folder; hrefs quote
those names once more, because a browser decodes `%` in a link before it opens the file.
"""

from __future__ import annotations

import bisect
import posixpath
from typing import Any
from urllib.parse import quote

from etl.export.paths import join_relative, partition_segment

ROOMS_DIR = "rooms"


def room_dir(rid: str) -> str:
    return join_relative(ROOMS_DIR, partition_segment("rid", rid))


def page_name(month: str, part: int) -> str:
    return f"{month}.html" if part == 1 else f"{month}-{part}.html"


def page_path(rid: str, month: str, part: int) -> str:
    return join_relative(room_dir(rid), page_name(month, part))


def room_index_path(rid: str) -> str:
    return join_relative(room_dir(rid), "index.html")


def href(path: str, root: str = "") -> str:
    """A relative link to a site path, from a page `root` (`../../` or ``) away from the top."""
    return root + "/".join(quote(part, safe="=") for part in path.split("/"))


def root_of(path: str) -> str:
    depth = posixpath.dirname(path).count("/") + 1 if posixpath.dirname(path) else 0
    return "../" * depth


def message_key(ts_iso: str, mid: str) -> list[str]:
    return [ts_iso, mid]


class PageLocator:
    """Which page holds a message anchor, from the manifest's per-page first keys."""

    def __init__(self, months: list[dict[str, Any]]) -> None:
        self.pages: dict[tuple[str, str], tuple[list[list[str]], list[str]]] = {}
        for entry in months:
            firsts = [p["first"] for p in entry["pages"]]
            paths = [p["path"] for p in entry["pages"]]
            self.pages[(entry["room"], entry["month"])] = (firsts, paths)

    def page(self, rid: str, month: str, key: list[str]) -> str | None:
        found = self.pages.get((rid, month))
        if not found or not found[1]:
            return None
        firsts, paths = found
        index = max(bisect.bisect_right(firsts, key) - 1, 0)
        return paths[index]
