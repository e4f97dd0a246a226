"""The browser search index: Pagefind over the room pages, one sub-result per message.

Pagefind's PyPI package ships its binary (`pagefind[bin]`); the index is a folder of static files
(`pagefind/`) that the search page loads with plain fetches, so any static web server works. Only
the messages of room pages are indexed (`data-pagefind-body`); every message header is a heading
with the message's anchor id, so Pagefind returns each matching message as a sub-result that links
to `#m-<id>`, titled with its author and time, under its room (`data-pagefind-meta`).

Pagefind has no incremental mode, and indexing the whole site costs as much as rendering it. So
the full index (`pagefind/`) is a base, built whole into a temporary folder that replaces the old
one when complete; a later run indexes only the messages changed, moved or removed since the base
(from the fragment sidecar) into a small second index, `pagefind-delta/`, whose `delta.json`
names the messages the base must no longer answer for. The search page asks both and drops the
base's answers for those messages. When the delta passes DELTA_SHARE of the messages, or a room's
title or kind changed (the base's room names), the base is rebuilt and the delta removed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import orjson
from markupsafe import escape

from etl.errors import ExportError
from etl.export.html.fragments import FragmentCache, Placed
from etl.export.html.manifest import write_file

INDEX_DIR = "pagefind"
DELTA_DIR = "pagefind-delta"
DELTA_FILE = "delta.json"
DELTA_SHARE = 0.1  # of the messages shown: a bigger delta rebuilds the base
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


def _pagefind(site: Path, output: Path) -> int:
    """Index `site`'s room pages into `output`; returns how many pages were indexed."""
    binary = executable()
    if binary is None:
        raise SearchIndexError(
            "Pagefind is not installed: pip install 'rocketchat-etl[html]' (or pass --no-search)"
        )
    command = [str(binary), "--site", str(site), "--glob", "rooms/**/*.html"]
    command += ["--output-path", str(output), "--force-language", "en"]
    done = subprocess.run(command, capture_output=True, timeout=3600, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
        raise SearchIndexError(f"pagefind failed: {tail[-1] if tail else done.returncode}")
    found = _INDEXED.search(done.stdout)
    return int(found.group(1)) if found else 0


def _replace(out: Path, name: str, new: Path | None) -> None:
    """Swap folder `name` for `new` (None: remove it), never leaving a half-written one."""
    final = out / name
    old = out / f".{name}.old-{uuid.uuid4().hex[:12]}"
    if final.exists():
        final.rename(old)
    if new is not None:
        new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def build_search_index(out: Path) -> int:
    """Write `out/pagefind/` from the site's room pages; returns how many pages were indexed."""
    temp = out / f".{INDEX_DIR}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        pages = _pagefind(out, temp)
        _replace(out, INDEX_DIR, temp)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return pages


def _delta_pages(changed: list[Placed], titles: dict[str, str]) -> dict[str, str]:
    """Page path -> a page holding only its changed messages, shaped as the room pages are."""
    bodies: dict[str, list[str]] = {}
    for p in changed:
        bodies.setdefault(p.page, []).append(p.html + "</article>\n")
    pages = {}
    for path, articles in bodies.items():
        rid = next(p.rid for p in changed if p.page == path)
        title = escape(titles.get(rid, rid))
        pages[path] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><main>"
            f'<h1><a href="index.html" data-pagefind-meta="room">{title}</a></h1>'
            f"<section data-pagefind-body>{''.join(articles)}</section></main></body></html>\n"
        )
    return pages


def build_delta_index(
    out: Path, changed: list[Placed], gone: list[str], titles: dict[str, str]
) -> int:
    """Write `out/pagefind-delta/`: the changed messages' index and the superseded ids."""
    work = out / f".{DELTA_DIR}.tmp-{uuid.uuid4().hex[:12]}"
    source, index = work / "site", work / "index"
    try:
        index.mkdir(parents=True)
        for path, html in _delta_pages(changed, titles).items():
            write_file(source, path, html.encode())
        pages = _pagefind(source, index) if changed else 0
        superseded = sorted({p.id for p in changed} | set(gone))
        document = {"index": bool(changed), "superseded": superseded}
        write_file(index, DELTA_FILE, orjson.dumps(document))
        _replace(out, DELTA_DIR, index)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return pages


def update_search_index(
    out: Path,
    cache: FragmentCache,
    previous: dict[str, Any] | None,
    titles: dict[str, str],
    seq: int,
) -> tuple[dict[str, Any], bool]:
    """The delta over the previous run's base when it is small enough, else a new base; and
    whether the base was rebuilt."""
    base_seq = (previous or {}).get("base_seq")
    same = (previous or {}).get("version") == pagefind_version() and (out / INDEX_DIR).is_dir()
    if isinstance(base_seq, int) and same:
        changed, gone = cache.since_base(base_seq)
        if len(changed) + len(gone) <= DELTA_SHARE * max(cache.count(), 1):
            pages = build_delta_index(out, changed, gone, titles)
            return {**previous, "delta_pages": pages, "delta_messages": len(changed)}, False  # type: ignore[dict-item]
    pages = build_search_index(out)
    _replace(out, DELTA_DIR, None)
    cache.mark_base()
    info = {"tool": "pagefind", "version": pagefind_version(), "pages": pages, "base_seq": seq}
    return {**info, "delta_pages": 0, "delta_messages": 0}, True
