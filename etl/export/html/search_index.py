"""The browser search index: Pagefind over the room pages, one sub-result per message.

Pagefind's PyPI package ships its binary (`pagefind[bin]`); the index is a folder of static files
(`pagefind/`) that the search page loads with plain fetches, so any static web server works. Only
the messages of room pages are indexed (`data-pagefind-body`); every message header is a heading
with the message's anchor id, so Pagefind returns each matching message as a sub-result that links
to `#m-<id>`, titled with its author and time, under its room (`data-pagefind-meta`).
Pagefind has no incremental mode: the index is rebuilt whole on every run into a temporary folder
that replaces the old one only when it is complete.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

from etl.errors import ExportError

INDEX_DIR = "pagefind"
_INDEXED = re.compile(rb"Indexed (\d+) pages?")


class SearchIndexError(ExportError):
    """Pagefind is missing (the `html` extra) or failed."""


def pagefind_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pagefind")
    except PackageNotFoundError:
        return None


def executable() -> Path | None:
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    return get_executable()


def build_search_index(out: Path) -> int:
    """Write `out/pagefind/` from the site's room pages; returns how many pages were indexed."""
    binary = executable()
    if binary is None:
        raise SearchIndexError(
            "Pagefind is not installed: pip install 'rocketchat-etl[html]' (or pass --no-search)"
        )
    temp = out / f".{INDEX_DIR}.tmp-{uuid.uuid4().hex[:12]}"
    command = [
        str(binary),
        "--site",
        str(out),
        "--glob",
        "rooms/**/*.html",
        "--output-path",
        str(temp),
        "--force-language",
        "en",
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=3600, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
            raise SearchIndexError(f"pagefind failed: {tail[-1] if tail else done.returncode}")
        found = _INDEXED.search(done.stdout)
        final = out / INDEX_DIR
        old = out / f".{INDEX_DIR}.old-{uuid.uuid4().hex[:12]}"
        if final.exists():
            final.rename(old)
        temp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return int(found.group(1)) if found else 0
