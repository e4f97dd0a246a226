"""Pages patched in place: a re-export whose changed messages all stay where they were shown
swaps their article heads in the pages (and their documents in the search shards) written by the
previous run, instead of rebuilding each touched page from the fragment sidecar.

Random edits of 1% of the messages touch four in ten room-months, and rebuilding a page (reading
every message's cached head and placing, joining and indexing them all) cost nearly as much as
rendering it. A page's bytes are its chrome, then each top-level message's head, thread block and
close; a message's head depends only on its own row (message_html.py). So when a room's changed
messages keep what places them (ts, thread parent, reply count, thread head), its room and its
list of months are unchanged and no message left or joined it, a full render would give the
previous page with those heads replaced, and that is what is written.

Trusted only when it adds up: the sidecar reflects exactly the previous manifest's run (same
change_seq), every page and shard read back has the checksum that manifest gives it, and every
old head and document is found where the sidecar says it was. Anything else and the room is
rendered as before (pages.py).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from etl.export.html.fragments import FragmentCache, Placed
from etl.export.html.manifest import read_unchanged
from etl.export.html.pages import Heads, render_head
from etl.export.html.placement import Changes
from etl.export.html.queries import RoomMonth
from etl.export.html.search_index import SearchShards, patched_shard


def _in_place(old: Placed | None, row: dict[str, Any]) -> bool:
    """The changed row is placed as the sidecar has it shown (same room, order and thread)."""
    return (
        old is not None
        and old.rid == row["rid"]
        and old.ts == (row["ts_iso"] or None)
        and old.ts_month == row["ts_month"]
        and old.tmid == row["tmid"]
        and old.tcount == (row["tcount"] or 0)
        and bool(old.tlm) == bool(row["tlm"])
    )


def splice_plan(
    cache: FragmentCache,
    changes: Changes | None,
    previous: dict[str, Any] | None,
    signatures: dict[RoomMonth, list[Any]],
    room_sigs: dict[str, str],
    months_of: dict[str, list[str]],
) -> dict[str, list[Placed]]:
    """Room id -> its changed messages as the sidecar has them shown, for the rooms whose pages
    can be patched in place."""
    if changes is None or not previous or "months" not in previous:
        return {}
    if cache.seq() != previous.get("change_seq"):  # a run killed between sidecar and manifest
        return {}
    old = changes.shown
    counts: dict[RoomMonth, int] = {}
    months_before: dict[str, list[str]] = defaultdict(list)
    for entry in previous["months"]:
        counts[(entry["room"], entry["month"])] = entry["signature"][0]
        months_before[entry["room"]].append(entry["month"])
    in_place = {
        row["id"]
        for rows in changes.rows.values()
        for row in rows
        if _in_place(old.get(row["id"]), row)
    }
    # A message purged, moved or out of the filters now: its room's pages lose or gain one.
    blocked = {p.rid for mid, p in old.items() if mid not in in_place}
    blocked |= {r["rid"] for rows in changes.rows.values() for r in rows if r["id"] not in in_place}
    old_rooms = previous.get("rooms", {})
    plan: dict[str, list[Placed]] = {}
    for rid, rows in changes.rows.items():
        if (
            rid in blocked
            or old_rooms.get(rid, {}).get("signature") != room_sigs.get(rid)
            or sorted(months_before.get(rid, [])) != months_of.get(rid)
            or any(counts.get((rid, m)) != signatures[(rid, m)][0] for m in months_of[rid])
        ):
            continue
        # The new change_seq, the old head and document (to find them in the page and shard).
        plan[rid] = [
            old[row["id"]]._replace(seq=row["change_seq"], author=row["author"]) for row in rows
        ]
    return plan


def _swap(data: bytes, olds: list[Placed], heads: Heads) -> bytes | None:
    """The page with each old head replaced by the new one, in page order; None if one is not
    where it should be. On bytes: UTF-8 finds a whole string only at a character boundary."""
    pieces: list[bytes] = []
    cursor = 0
    for old in sorted(olds, key=lambda p: p.pos):
        html = old.html.encode()
        at = data.find(html, cursor)
        if at < 0:
            return None
        pieces += [data[cursor:at], heads[old.id][0].encode()]
        cursor = at + len(html)
    pieces.append(data[cursor:])
    return b"".join(pieces)


def _patched_shard(
    root: Path, entry: dict[str, Any], title: str, olds: list[Placed], heads: Heads
) -> bytes | None:
    data = read_unchanged(root, entry["path"], entry["sha256"])
    if data is None:
        return None
    return patched_shard(data, title, [(old.id, old.doc, heads[old.id][1]) for old in olds])


def _patched_pages(
    root: Path, olds: list[Placed], heads: Heads, entries: dict[RoomMonth, dict[str, Any]]
) -> dict[str, bytes] | None:
    """Page path -> its new bytes, for the pages showing these messages."""
    by_page: dict[str, list[Placed]] = defaultdict(list)
    for old in olds:
        by_page[old.page].append(old)
    pages: dict[str, bytes] = {}
    for path, shown in by_page.items():
        entry = entries.get((shown[0].rid, shown[0].month)) or {}
        page = next((p for p in entry.get("pages", []) if p["path"] == path), None)
        data = read_unchanged(root, page["path"], page["sha256"]) if page else None
        patched = _swap(data, shown, heads) if data is not None else None
        if patched is None:
            return None
        pages[path] = patched
    return pages


def splice_room(
    root: Path,
    title: str,
    olds: list[Placed],
    heads: Heads,
    entries: dict[RoomMonth, dict[str, Any]],
    shards: SearchShards | None,
    write: Any,
) -> tuple[list[dict[str, Any]], list[Placed]] | None:
    """Patch the pages (and shards) showing these changed messages of one room; returns the
    months' new manifest entries and the messages' new sidecar rows, or None (render instead).
    Nothing is written unless every page and shard of the room could be patched."""
    pages = _patched_pages(root, olds, heads, entries)
    if pages is None:
        return None
    by_month: dict[RoomMonth, list[Placed]] = defaultdict(list)
    for old in olds:
        by_month[(old.rid, old.month)].append(old)
    documents: dict[RoomMonth, bytes] = {}
    for key, shown in by_month.items() if shards is not None else ():
        found = entries[key].get("search")
        document = _patched_shard(root, found, title, shown, heads) if found else None
        if document is None:
            return None
        documents[key] = document
    written: list[dict[str, Any]] = []
    for key, shown in by_month.items():
        entry = dict(entries[key])
        files = {path: write(path, pages[path]) for path in {p.page for p in shown}}
        entry["pages"] = [{**p, **files.get(p["path"], {})} for p in entry["pages"]]
        if shards is not None:
            before, after = [p.doc for p in shown], [heads[p.id][1] for p in shown]
            entry["search"] = shards.patch(entry["search"]["path"], documents[key], before, after)
        written.append(entry)
    placed = [old._replace(html=heads[old.id][0], doc=heads[old.id][1]) for old in olds]
    return written, placed


def splice_rooms(
    root: Path,
    plan: dict[str, list[Placed]],
    rooms: dict[str, dict[str, Any]],
    ctx: dict[str, Any],
    entries: dict[RoomMonth, dict[str, Any]],
    write: Any,
) -> dict[str, list[dict[str, Any]]]:
    """Patch the planned rooms' pages; room id -> the month entries patched (rooms missing from
    the answer must be rendered)."""
    changes: Changes = ctx["changes"]
    cache: FragmentCache = ctx["cache"]
    done: dict[str, list[dict[str, Any]]] = {}
    for rid, olds in plan.items():
        heads = {old.id: render_head(changes.full[old.id], bool(old.reply)) for old in olds}
        found = splice_room(root, rooms[rid]["title"], olds, heads, entries, ctx["search"], write)
        if found is not None:
            done[rid], placed = found
            cache.update(placed)
            ctx["pages_spliced"] += len({p.page for p in placed})
    return done
