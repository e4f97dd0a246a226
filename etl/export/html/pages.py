"""Render one room's dirty months into pages. A page is its room's chrome around the messages'
HTML, joined from the fragment cache: only messages whose row changed since they were cached are
read in full and rendered again. The month's search shard is written with its pages, from the same
messages' search documents (cached with their HTML). Each page's first message key goes to the
manifest so a message id can be found on its page later (`rcetl search`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, Template
from markupsafe import Markup
from sqlalchemy import Connection

from etl.export.html import children
from etl.export.html.fragments import FragmentCache, Placed
from etl.export.html.layout import href, message_key, page_name, page_path, room_index_path
from etl.export.html.message_html import message_head, message_tail
from etl.export.html.placement import Changes, placed_rows
from etl.export.html.rooms import with_links
from etl.export.html.search_index import SearchShards, search_document
from etl.export.html.views import message_view, paginate, utc_iso

PAGE_ROOT = "../../"
Writer = Callable[[str, bytes], dict[str, Any]]
Heads = dict[str, tuple[str, str]]  # message id -> (article head HTML, search document)
ROOM_READ = 0.5  # share of a room's messages to render above which the whole room is read


def _heads(
    conn: Connection,
    cached: dict[str, Placed],
    rid: str,
    shown: dict[str, tuple[dict[str, Any], bool]],
    ctx: dict[str, Any],
    room_messages: int,
) -> dict[str, tuple[str, str]]:
    """Message id -> the head of its article and its search document: from the cache when its
    row is unchanged."""
    heads: dict[str, tuple[str, str]] = {}
    stale = []
    for mid, (row, reply) in shown.items():
        hit = cached.get(mid)
        if hit is not None and hit.seq == row["change_seq"] and hit.reply == reply:
            heads[mid] = (hit.html, hit.doc)
        else:
            stale.append(mid)
    # Most of the room (a first run): one read of the room beats lists of ids.
    changes: Changes | None = ctx["changes"]
    ready = changes.full if changes is not None else {}
    rows = [ready[mid] for mid in stale if mid in ready]
    # Placement read them whole (a run without a sidecar): only their children are read.
    whole = [shown[mid][0] for mid in stale if mid not in ready and "raw" in shown[mid][0]]
    stale = [mid for mid in stale if mid not in ready and "raw" not in shown[mid][0]]
    if whole:
        room = rid if len(whole) > ROOM_READ * room_messages else None
        children.attach_children(conn, whole, ctx["versions"], room)
        rows += whole
    room = rid if len(stale) > ROOM_READ * room_messages else None
    if stale:
        rows += children.messages_by_id(conn, stale, ctx["versions"], room)
    for full in rows:
        heads[full["id"]] = render_head(full, shown[full["id"]][1])
    return heads


def render_head(full: dict[str, Any], reply: bool) -> tuple[str, str]:
    """A message's article head and search document, from its whole row (with children)."""
    view = message_view(full)
    if view["drid"]:
        view["discussion_href"] = href(room_index_path(view["drid"]), PAGE_ROOT)
    return message_head(view, reply), search_document(view, full)


def _ts(row: dict[str, Any]) -> datetime | None:
    return datetime.fromisoformat(row["ts_iso"]) if row["ts_iso"] else None


def _neighbours(month: str, part: int, parts: int, all_months: list[str]) -> tuple[Any, Any]:
    position = all_months.index(month)
    prev = page_name(month, part - 1) if part > 1 else None
    if prev is None and position > 0:
        prev = page_name(all_months[position - 1], 1)
    nxt = page_name(month, part + 1) if part < parts else None
    if nxt is None and position + 1 < len(all_months):
        nxt = page_name(all_months[position + 1], 1)
    return (href(prev) if prev else None), (href(nxt) if nxt else None)


@dataclass(frozen=True)
class _RoomPages:
    """A room's page chrome: the template, the room, and its months for the previous/next links."""

    template: Template
    page_globals: dict[str, Any]
    room: dict[str, Any]
    all_months: list[str]

    def render(self, month: str, part: int, parts: int, html: list[str]) -> bytes:
        prev, nxt = _neighbours(month, part, parts, self.all_months)
        page = self.template.render(
            **self.page_globals,
            root=PAGE_ROOT,
            room=self.room,
            month=month,
            part=part,
            parts=parts,
            prev=prev,
            next=nxt,
            messages_html=Markup("".join(html)),
        )
        return page.encode()


def render_room(
    conn: Connection,
    env: Environment,
    room: dict[str, Any],
    months: list[str],
    all_months: list[str],
    ctx: dict[str, Any],
    write: Writer,
) -> list[dict[str, Any]]:
    """Write the pages of `months` of one room; returns their manifest month entries."""
    rid = room["id"]
    cache: FragmentCache = ctx["cache"]
    by_month = placed_rows(conn, rid, months, ctx, room["messages"])
    before = cache.room(rid, months)
    heads = _heads(conn, before, rid, _shown(by_month), ctx, room["messages"])
    template = env.get_template("room_page.html.j2")
    chrome = _RoomPages(template, ctx["page_globals"], with_links(room, PAGE_ROOT), all_months)
    entries: list[dict[str, Any]] = []
    placed: list[Placed] = []
    for month in months:
        entries.append(_render_month(chrome, rid, month, by_month[month], heads, placed, write))
    shards: SearchShards | None = ctx["search"]
    if shards is not None:
        _index_months(shards, room, months, placed, entries)
    cache.place(before, placed)
    ctx["authors"].update(p.author for p in placed if p.author is not None)
    return entries


def _shown(by_month: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[dict[str, Any], bool]]:
    """Message id -> its row and whether it is shown as a reply."""
    shown: dict[str, tuple[dict[str, Any], bool]] = {}
    for tops in by_month.values():
        for top in tops:
            shown[top["id"]] = (top, False)
            for reply in top["replies"]:
                shown[reply["id"]] = (reply, True)
    return shown


def _render_month(
    chrome: _RoomPages,
    rid: str,
    month: str,
    rows: list[dict[str, Any]],
    heads: Heads,
    placed: list[Placed],
    write: Writer,
) -> dict[str, Any]:
    # Positions count within the month: a month's unchanged rows keep theirs whichever other
    # months this run renders, so the sidecar rewrites only the rows that changed.
    month_start = len(placed)
    pages = paginate(rows)
    entry: dict[str, Any] = {"room": rid, "month": month, "pages": []}
    for part, tops in enumerate(pages, start=1):
        path = page_path(rid, month, part)
        html = []
        for top in tops:
            replies = [
                heads[r["id"]][0] + message_tail(r["tcount"] or 0, []) for r in top["replies"]
            ]
            html.append(heads[top["id"]][0] + message_tail(top["tcount"] or 0, replies))
            for row, reply in [(top, False)] + [(r, True) for r in top["replies"]]:
                position = len(placed) - month_start
                placed.append(_placement(row, reply, rid, month, path, position, heads))
        file_entry = write(path, chrome.render(month, part, len(pages), html))
        first = tops[0]
        key = message_key(utc_iso(_ts(first)), first["id"])
        entry["pages"].append({**file_entry, "first": key, "messages": len(tops)})
    return entry


def _placement(
    row: dict[str, Any], reply: bool, rid: str, month: str, path: str, position: int, heads: Heads
) -> Placed:
    return Placed(
        row["id"],
        rid,
        month,
        path,
        position,
        row["change_seq"],
        reply,
        row["tcount"] or 0,
        *heads[row["id"]],
        row["ts_iso"] or None,
        row["ts_month"],
        row["tmid"],
        bool(row["tlm"]),
        row["author"],
    )


def _index_months(
    shards: SearchShards,
    room: dict[str, Any],
    months: list[str],
    placed: list[Placed],
    entries: list[dict[str, Any]],
) -> None:
    """Each rendered month's search shard, from the documents cached with its messages."""
    by_month: dict[str, list[tuple[str, str, str]]] = {m: [] for m in months}
    for p in placed:
        by_month[p.month].append((p.id, p.page, p.doc))
    for entry in entries:
        month = entry["month"]
        entry["search"] = shards.add(room["id"], month, room["title"], by_month[month])
