"""`rcetl export html`: a static, self-contained site of the database, rewritten incrementally.

A run compares each room-month's signature (message count, newest change_seq; signatures.py) and
each room's signature with the previous run's manifest and renders only what differs (plus the
months holding thread parents of changed replies), from the fragment sidecar where a message did
not change, or patches the previous pages where the changed messages stay in place (splice.py);
the other pages are rendered but for unchanged room indexes (navigation.py). A file whose bytes
did not change is not written again. The search index's shards are those of the rewritten
room-months (search_index.py). Pages and shards are written atomically, the router after them,
the sidecar is committed before the manifest, the manifest last; files the new manifest no longer
lists are removed after it is written.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine

from etl.export.filters import ExportFilters
from etl.export.html import children, queries
from etl.export.html.authors import user_counts
from etl.export.html.fragments import FragmentCache
from etl.export.html.incremental import dirty_months, is_full, previous_run, record_run
from etl.export.html.manifest import (
    FORMAT,
    FORMAT_VERSION,
    SiteWriter,
    all_files,
    remove_stale,
    write_manifest,
)
from etl.export.html.navigation import write_navigation
from etl.export.html.pages import render_room
from etl.export.html.placement import changes_since
from etl.export.html.queries import RoomMonth
from etl.export.html.render import environment
from etl.export.html.rooms import describe_rooms, room_signature
from etl.export.html.search_index import ROUTER, SearchShards, write_router
from etl.export.html.signatures import month_signatures, span
from etl.export.html.splice import splice_plan, splice_rooms
from etl.export.manifest import now_utc, tool_version
from etl.gc_pause import gc_paused

log = logging.getLogger("etl.export.html")


@dataclass
class HtmlResult:
    out: str
    full: bool
    months_rewritten: int
    rooms_placed_from_sidecar: int
    rooms_spliced: int  # rooms whose changed messages were swapped into their pages in place
    pages_written: int
    pages_kept: int
    files_removed: int
    rooms: int
    messages: int
    search_shards: int | None  # room-month shards of the search index (None: no index)
    search_shards_written: int | None
    change_seq: int
    seconds: float


@dataclass
class _Site:
    """What a run reads of the database before it renders anything."""

    seq: int
    signatures: dict[RoomMonth, list[Any]]
    rooms: dict[str, dict[str, Any]]
    room_sigs: dict[str, str]
    months_of: dict[str, list[str]]
    index_keys: dict[str, str] = field(default_factory=dict)  # each room index's (navigation.py)


@dataclass
class _Months:
    """Every room-month's manifest entry, and those this run rendered or patched in place."""

    entries: list[dict[str, Any]]
    rendered: list[dict[str, Any]]
    spliced: dict[str, list[dict[str, Any]]]
    ctx: dict[str, Any]


def export_html(
    engine: Engine,
    out: str,
    filters: ExportFilters | None = None,
    *,
    search: bool = True,
    title: str = "Rocket.Chat archive",
) -> HtmlResult:
    # A run allocates a few dicts, strings and tuples per message, nearly none in cycles: the
    # collections they triggered were ~4% of a full export (callgrind), more in a bigger heap.
    with gc_paused():
        return _export(engine, out, filters or ExportFilters(), search, title)


def _export(
    engine: Engine, out: str, filters: ExportFilters, search: bool, title: str
) -> HtmlResult:
    started = time.perf_counter()
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    previous = previous_run(root, filters, search, title)
    generated = now_utc()
    # No run date on the pages themselves: an unchanged page keeps its bytes (index.html has it).
    page_globals = {"site_title": title, "tool_version": tool_version()}
    write = SiteWriter(root, previous)
    key = orjson.dumps([FORMAT_VERSION, page_globals["tool_version"], filters.to_dict()]).decode()
    cache = FragmentCache(root, key)
    env = environment()
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            if is_full(previous):
                cache.clear(key)
            site = _read_site(conn, filters, previous)
            ctx = _context(conn, filters, page_globals, cache, site, write, search)
            months = _render_months(conn, env, site, previous, ctx, write)
            counts, kept_counts = user_counts(conn, ctx, is_full(previous))
            users = queries.users(conn, counts)
        navigation = {**page_globals, "generated": generated}
        site.index_keys = write_navigation(
            env, site.rooms, months.entries, navigation, users, write, search, previous
        )
        search_info = _write_search(root, months, site, write)
        cache.commit(site.seq, kept_counts)
    except BaseException:
        cache.abandon()
        raise
    files = all_files(months.entries, write.written)
    removed = remove_stale(root, previous, files)
    manifest = _manifest(page_globals, generated, filters, site, months, files, search_info)
    write_manifest(root, manifest)
    record_run(engine, root, site.seq)
    return _result(root, previous, site, months, removed, search_info, started)


def _read_site(conn: Connection, filters: ExportFilters, previous: dict[str, Any] | None) -> _Site:
    seq = queries.current_change_seq(conn)
    signatures = month_signatures(conn, filters, previous)
    rooms = describe_rooms(queries.rooms(conn, filters), signatures)
    months_of: dict[str, list[str]] = defaultdict(list)
    for rid, month in sorted(signatures):
        months_of[rid].append(month)
    room_sigs = {rid: room_signature(r) for rid, r in rooms.items()}
    return _Site(seq, signatures, rooms, room_sigs, months_of)


def _context(
    conn: Connection,
    filters: ExportFilters,
    page_globals: dict[str, Any],
    cache: FragmentCache,
    site: _Site,
    write: SiteWriter,
    search: bool,
) -> dict[str, Any]:
    """What rendering and patching a room need (pages.py, splice.py)."""
    versions = children.has_versions(conn)
    return {
        "filters": filters,
        "versions": versions,
        "page_globals": page_globals,
        "cache": cache,
        "seq": site.seq,
        "signatures": site.signatures,
        "changes": changes_since(conn, filters, cache, site.signatures, versions),
        "from_sidecar": 0,  # rooms whose dirty months were placed from the sidecar
        "pages_spliced": 0,  # pages patched in place (splice.py)
        "search": SearchShards(write) if search else None,
        "authors": Counter(),  # whom the messages placed count for (authors.py)
    }


def _render_months(
    conn: Connection,
    env: Any,
    site: _Site,
    previous: dict[str, Any] | None,
    ctx: dict[str, Any],
    write: SiteWriter,
) -> _Months:
    """Patch or render the room-months that changed since `previous`; keep the others' entries."""
    dirty = dirty_months(
        conn, ctx["filters"], previous, site.signatures, site.room_sigs, site.months_of
    )
    entries = {
        (e["room"], e["month"]): e
        for e in (previous or {}).get("months", [])
        if (e["room"], e["month"]) in site.signatures
    }
    by_room: dict[str, list[str]] = defaultdict(list)
    for rid, month in sorted(dirty):
        by_room[rid].append(month)
    cache: FragmentCache = ctx["cache"]
    plan = splice_plan(
        cache, ctx["changes"], previous, site.signatures, site.room_sigs, site.months_of
    )
    spliced = splice_rooms(write.root, plan, site.rooms, ctx, entries, write)
    rendered: list[dict[str, Any]] = [e for found in spliced.values() for e in found]
    for rid, changed in by_room.items():
        if rid not in spliced:
            months_of = site.months_of[rid]
            rendered += render_room(conn, env, site.rooms[rid], changed, months_of, ctx, write)
    for entry in rendered:
        entries[(entry["room"], entry["month"])] = entry
    cache.forget_months(set(site.signatures))
    for key, entry in entries.items():
        entry["signature"] = site.signatures[key][:2]
        entry["span"] = span(site.signatures[key])
    return _Months([entries[k] for k in sorted(entries)], rendered, spliced, ctx)


def _write_search(
    root: Path, months: _Months, site: _Site, write: SiteWriter
) -> dict[str, Any] | None:
    shards = months.ctx["search"]
    if shards is None:
        return None
    order = [(e["room"], site.rooms[e["room"]]["title"], e["month"]) for e in months.entries]
    old_router = (write.before.get(ROUTER) or {}).get("sha256")
    return write_router(root, shards, order, old_router)


def _manifest(
    page_globals: dict[str, Any],
    generated: str,
    filters: ExportFilters,
    site: _Site,
    months: _Months,
    files: dict[str, dict[str, Any]],
    search_info: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": page_globals["tool_version"],  # importlib.metadata: slow, read once
        "generated_at": generated,
        "filters": filters.to_dict(),
        "title": page_globals["site_title"],
        "change_seq": site.seq,
        "rooms": {
            rid: {"signature": sig, "index": site.index_keys.get(rid)}
            for rid, sig in site.room_sigs.items()
        },
        "months": months.entries,
        "files": sorted(files.values(), key=lambda f: f["path"]),
        "search": search_info,
    }


def _result(
    root: Path,
    previous: dict[str, Any] | None,
    site: _Site,
    months: _Months,
    removed: int,
    search_info: dict[str, Any] | None,
    started: float,
) -> HtmlResult:
    page_count = sum(len(m["pages"]) for m in months.entries)
    patched = sum(len(e["pages"]) for found in months.spliced.values() for e in found)
    written = sum(len(e["pages"]) for e in months.rendered) - patched
    pages_written = written + months.ctx["pages_spliced"]
    return HtmlResult(
        out=str(root),
        full=is_full(previous),
        months_rewritten=len(months.rendered),
        rooms_placed_from_sidecar=months.ctx["from_sidecar"],
        rooms_spliced=len(months.spliced),
        pages_written=pages_written,
        pages_kept=page_count - pages_written,
        files_removed=removed,
        rooms=len(site.rooms),
        messages=sum(s[0] for s in site.signatures.values()),
        search_shards=search_info["shards"] if search_info else None,
        search_shards_written=search_info["shards_written"] if search_info else None,
        change_seq=site.seq,
        seconds=time.perf_counter() - started,
    )
