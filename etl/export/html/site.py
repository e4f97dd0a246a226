"""`rcetl export html`: a static, self-contained site of the database, rewritten incrementally.

A run compares each room-month's signature (message count, newest change_seq) and each room's
signature with the previous run's manifest and renders only what differs (plus the months holding
thread parents of changed replies), from the fragment sidecar where a message did not change, or
patches the previous pages where the changed messages stay in place (splice.py); the index pages
are always rendered. A file whose bytes did not change is not written again. The search index's
shards are those of the rewritten room-months (search_index.py). Pages and shards are written
atomically, the router after them, the sidecar is committed before the manifest, the manifest
last; files the new manifest no longer lists are removed after it is written.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine

from etl.errors import ForeignManifestError
from etl.export.filters import ExportFilters
from etl.export.html import queries
from etl.export.html.fragments import FragmentCache
from etl.export.html.incremental import dirty_months, record_run
from etl.export.html.layout import href, room_index_path
from etl.export.html.manifest import (
    FORMAT,
    FORMAT_VERSION,
    read_manifest,
    remove_stale,
    sha256_of,
    write_file,
    write_manifest,
)
from etl.export.html.pages import render_room
from etl.export.html.placement import changes_since
from etl.export.html.render import STATIC_FILES, environment, static_file
from etl.export.html.rooms import describe_rooms, grouped, room_signature, with_links
from etl.export.html.search_index import ROUTER, SEARCH_FORMAT, SearchShards, write_router
from etl.export.html.splice import splice_plan, splice_rooms
from etl.export.manifest import now_utc, tool_version

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


def _previous(out: Path, filters: ExportFilters, search: bool, title: str) -> dict[str, Any] | None:
    """The previous run's manifest if this run may build on it, else None (full rewrite); a run
    with search builds on one whose search index it can extend, and every page shows the title."""
    manifest = read_manifest(out)
    if manifest is None:
        return None
    if manifest.get("format") != FORMAT:
        raise ForeignManifestError(
            f"{out} holds a {manifest.get('format') or 'different'} export, not an HTML site; "
            "choose another --out"
        )
    same = (
        manifest.get("format_version") == FORMAT_VERSION
        and manifest.get("tool_version") == tool_version()
        and manifest.get("filters") == filters.to_dict()
        and manifest.get("title") == title
        and (manifest.get("search") or {}).get("format") == (SEARCH_FORMAT if search else None)
    )
    return manifest if same else {"files": manifest.get("files", [])}


def export_html(
    engine: Engine,
    out: str,
    filters: ExportFilters | None = None,
    *,
    search: bool = True,
    title: str = "Rocket.Chat archive",
) -> HtmlResult:
    started = time.perf_counter()
    filters = filters or ExportFilters()
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    previous = _previous(root, filters, search, title)
    env = environment()
    generated = now_utc()
    # No run date on the pages themselves: an unchanged page keeps its bytes (index.html has it).
    page_globals = {"site_title": title, "tool_version": tool_version()}
    written: dict[str, dict[str, Any]] = {}
    before = {f["path"]: f for f in (previous or {}).get("files", [])}

    def write(path: str, data: bytes) -> dict[str, Any]:
        entry = {"path": path, "bytes": len(data), "sha256": sha256_of(data)}
        old = before.get(path)
        if old is None or old.get("sha256") != entry["sha256"] or not (root / path).is_file():
            write_file(root, path, data)
        written[path] = entry
        return entry

    key = orjson.dumps([FORMAT_VERSION, page_globals["tool_version"], filters.to_dict()]).decode()
    cache = FragmentCache(root, key)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            seq = queries.current_change_seq(conn)
            if previous is None or "months" not in previous:
                cache.clear(key)
            signatures = queries.month_signatures(conn, filters)
            rooms = describe_rooms(queries.rooms(conn, filters), signatures)
            room_sigs = {rid: room_signature(r) for rid, r in rooms.items()}
            months_of: dict[str, list[str]] = defaultdict(list)
            for rid, month in sorted(signatures):
                months_of[rid].append(month)
            dirty = dirty_months(conn, filters, previous, signatures, room_sigs, months_of)
            versions = queries.has_versions(conn)
            ctx: dict[str, Any] = {
                "filters": filters,
                "versions": versions,
                "page_globals": page_globals,
                "cache": cache,
                "seq": seq,
                "signatures": signatures,
                "changes": changes_since(conn, filters, cache, signatures, versions),
                "from_sidecar": 0,  # rooms whose dirty months were placed from the sidecar
                "pages_spliced": 0,  # pages patched in place (splice.py)
                "search": SearchShards(write) if search else None,
            }
            entries = {
                (e["room"], e["month"]): e
                for e in (previous or {}).get("months", [])
                if (e["room"], e["month"]) in signatures
            }
            by_room: dict[str, list[str]] = defaultdict(list)
            for rid, month in sorted(dirty):
                by_room[rid].append(month)
            plan = splice_plan(cache, ctx["changes"], previous, signatures, room_sigs, months_of)
            spliced = splice_rooms(root, plan, rooms, ctx, entries, write)
            rendered: list[dict[str, Any]] = [e for found in spliced.values() for e in found]
            for rid, changed in by_room.items():
                if rid not in spliced:
                    rendered += render_room(
                        conn, env, rooms[rid], changed, months_of[rid], ctx, write
                    )
            for entry in rendered:
                entries[(entry["room"], entry["month"])] = entry
            cache.forget_months(set(signatures))
            for key_, entry in entries.items():
                entry["signature"] = signatures[key_][:2]
            months = [entries[k] for k in sorted(entries)]
            users = queries.users(conn)
        _write_navigation(
            env, rooms, months, {**page_globals, "generated": generated}, users, write, search
        )
        search_info = None
        if ctx["search"] is not None:
            order = [(e["room"], rooms[e["room"]]["title"], e["month"]) for e in months]
            old_router = (before.get(ROUTER) or {}).get("sha256")
            search_info = write_router(root, ctx["search"], order, old_router)
        cache.commit(seq)
    except BaseException:
        cache.abandon()
        raise

    files = _all_files(months, written)
    removed = remove_stale(root, previous, files)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "tool_version": page_globals["tool_version"],  # importlib.metadata: slow, read once
        "generated_at": generated,
        "filters": filters.to_dict(),
        "title": title,
        "change_seq": seq,
        "rooms": {rid: {"signature": sig} for rid, sig in room_sigs.items()},
        "months": months,
        "files": sorted(files.values(), key=lambda f: f["path"]),
        "search": search_info,
    }
    write_manifest(root, manifest)
    record_run(engine, root, seq)
    page_count = sum(len(m["pages"]) for m in months)
    patched = sum(len(e["pages"]) for found in spliced.values() for e in found)
    pages_written = sum(len(e["pages"]) for e in rendered) - patched + ctx["pages_spliced"]
    return HtmlResult(
        out=str(root),
        full=previous is None or "months" not in previous,
        months_rewritten=len(rendered),
        rooms_placed_from_sidecar=ctx["from_sidecar"],
        rooms_spliced=len(spliced),
        pages_written=pages_written,
        pages_kept=page_count - pages_written,
        files_removed=removed,
        rooms=len(rooms),
        messages=sum(s[0] for s in signatures.values()),
        search_shards=search_info["shards"] if search_info else None,
        search_shards_written=search_info["shards_written"] if search_info else None,
        change_seq=seq,
        seconds=time.perf_counter() - started,
    )


def _write_navigation(
    env: Any,
    rooms: dict[str, dict[str, Any]],
    months: list[dict[str, Any]],
    page_globals: dict[str, Any],
    users: list[dict[str, Any]],
    write: Any,
    search: bool,
) -> None:
    """Index, users, search and per-room pages, and the static files: cheap, always rewritten."""
    pages_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in months:
        if entry["pages"]:
            pages_of[entry["room"]].append(entry)
    total = sum(r["messages"] for r in rooms.values())
    firsts = [r["first"] for r in rooms.values() if r["first"]]
    lasts = [r["last"] for r in rooms.values() if r["last"]]
    span = f"{min(firsts)} to {max(lasts)}" if firsts and lasts else ""
    top = {**page_globals, "root": ""}
    plain = {k: v for k, v in page_globals.items() if k != "generated"}
    write(
        "index.html",
        env.get_template("index.html.j2")
        .render(
            **top,
            groups=grouped(rooms),
            total_rooms=len(rooms),
            total_messages=total,
            range_text=span,
        )
        .encode(),
    )
    write(
        "users.html",
        env.get_template("users.html.j2").render(**plain, root="", users=users).encode(),
    )
    search_page = env.get_template("search.html.j2").render(**plain, root="", has_index=search)
    write("search.html", search_page.encode())
    room_template = env.get_template("room_index.html.j2")
    for rid, room in rooms.items():
        listed = [
            {
                "month": e["month"],
                "href": href(e["pages"][0]["path"].rsplit("/", 1)[1]),
                "messages": sum(p["messages"] for p in e["pages"]),
                "parts": len(e["pages"]),
            }
            for e in pages_of.get(rid, [])
        ]
        html = room_template.render(
            **plain, root="../../", room=with_links(room, "../../"), months=listed
        )
        write(room_index_path(rid), html.encode())
    for name in STATIC_FILES:
        write(f"static/{name}", static_file(name))


def _all_files(
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
