"""Render one room's dirty months into pages. A page is its room's chrome around the messages'
HTML, joined from the fragment cache: only messages whose row changed since they were cached are
read in full and rendered again. The month's search shard is written with its pages, from the same
messages' search documents (cached with their HTML). Each page's first message key goes to the
manifest so a message id can be found on its page later (`rcetl search`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import Connection

from etl.export.html import queries
from etl.export.html.fragments import FragmentCache, Placed
from etl.export.html.layout import href, message_key, page_name, page_path, room_index_path
from etl.export.html.message_html import message_head, message_tail
from etl.export.html.placement import Changes, placed_rows
from etl.export.html.rooms import with_links
from etl.export.html.search_index import SearchShards, search_document
from etl.export.html.views import message_view, paginate, utc_iso

PAGE_ROOT = "../../"
Writer = Callable[[str, bytes], dict[str, Any]]
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
        queries.attach_children(conn, whole, ctx["versions"], room)
        rows += whole
    room = rid if len(stale) > ROOM_READ * room_messages else None
    if stale:
        rows += queries.messages_by_id(conn, stale, ctx["versions"], room)
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
    by_month = placed_rows(conn, rid, months, ctx)
    shown: dict[str, tuple[dict[str, Any], bool]] = {}
    for tops in by_month.values():
        for top in tops:
            shown[top["id"]] = (top, False)
            for reply in top["replies"]:
                shown[reply["id"]] = (reply, True)
    before = cache.room(rid, months)
    heads = _heads(conn, before, rid, shown, ctx, room["messages"])
    template = env.get_template("room_page.html.j2")
    linked = with_links(room, PAGE_ROOT)
    entries: list[dict[str, Any]] = []
    placed: list[Placed] = []
    for month in months:
        # Positions count within the month: a month's unchanged rows keep theirs whichever other
        # months this run renders, so the sidecar rewrites only the rows that changed.
        month_start = len(placed)
        pages = paginate(by_month[month])
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
                    mid = row["id"]
                    placed.append(
                        Placed(
                            mid,
                            rid,
                            month,
                            path,
                            len(placed) - month_start,
                            row["change_seq"],
                            reply,
                            row["tcount"] or 0,
                            *heads[mid],
                            row["ts_iso"] or None,
                            row["ts_month"],
                            row["tmid"],
                            bool(row["tlm"]),
                        )
                    )
            prev, nxt = _neighbours(month, part, len(pages), all_months)
            page = template.render(
                **ctx["page_globals"],
                root=PAGE_ROOT,
                room=linked,
                month=month,
                part=part,
                parts=len(pages),
                prev=prev,
                next=nxt,
                messages_html=Markup("".join(html)),
            )
            file_entry = write(path, page.encode())
            first = tops[0]
            entry["pages"].append(
                {
                    **file_entry,
                    "first": message_key(utc_iso(_ts(first)), first["id"]),
                    "messages": len(tops),
                }
            )
        entries.append(entry)
    shards: SearchShards | None = ctx["search"]
    if shards is not None:
        by_month_placed: dict[str, list[tuple[str, str, str]]] = {m: [] for m in months}
        for p in placed:
            by_month_placed[p.month].append((p.id, p.page, p.doc))
        for entry in entries:
            month = entry["month"]
            entry["search"] = shards.add(rid, month, room["title"], by_month_placed[month])
    cache.place(before, placed)
    return entries
