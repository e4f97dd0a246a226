"""Render one room's dirty months into pages; each page's first message key goes to the manifest
so a message id can be found on its page later (search results, `rcetl search`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment
from sqlalchemy import Connection

from etl.export.filters import ExportFilters
from etl.export.html import queries
from etl.export.html.layout import href, message_key, page_name, page_path, room_index_path
from etl.export.html.rooms import with_links
from etl.export.html.views import arrange, paginate

PAGE_ROOT = "../../"
Writer = Callable[[str, bytes], dict[str, Any]]


def _sort_key(row: dict[str, Any]) -> tuple[str, str]:
    # Python's order, not the database collation's: PostgreSQL may sort ids case-insensitively,
    # and page boundaries must be found again with the same comparison.
    ts = row.get("ts")
    return (ts.isoformat() if ts else "", row["id"])


def _link_discussions(messages: list[dict[str, Any]]) -> None:
    for m in messages:
        if m["drid"]:
            m["discussion_href"] = href(room_index_path(m["drid"]), PAGE_ROOT)
        _link_discussions(m["replies"])


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
    filters: ExportFilters = ctx["filters"]
    rows = queries.room_messages(conn, room["id"], months, filters, ctx["versions"])
    rows.sort(key=_sort_key)
    ids = {r["id"] for r in rows}
    missing = {r["tmid"] for r in rows if r["tmid"] and r["tmid"] not in ids}
    present = queries.existing_parents(conn, room["id"], missing, filters) if missing else set()
    by_month: dict[str, list[dict[str, Any]]] = {m: [] for m in months}
    for view in arrange(rows, present):
        month = queries.month_of(view["ts"])
        if month in by_month:
            by_month[month].append(view)
    template = env.get_template("room_page.html.j2")
    linked = with_links(room, PAGE_ROOT)
    entries = []
    for month in months:
        pages = paginate(by_month[month])
        _link_discussions(by_month[month])
        position = all_months.index(month)
        entry: dict[str, Any] = {"room": room["id"], "month": month, "pages": []}
        for part, messages in enumerate(pages, start=1):
            prev = page_name(month, part - 1) if part > 1 else None
            if prev is None and position > 0:
                prev = page_name(all_months[position - 1], 1)
            nxt = page_name(month, part + 1) if part < len(pages) else None
            if nxt is None and position + 1 < len(all_months):
                nxt = page_name(all_months[position + 1], 1)
            html = template.render(
                **ctx["page_globals"],
                root=PAGE_ROOT,
                room=linked,
                month=month,
                part=part,
                parts=len(pages),
                prev=href(prev) if prev else None,
                next=href(nxt) if nxt else None,
                messages=messages,
            )
            path = page_path(room["id"], month, part)
            file_entry = write(path, html.encode())
            first = messages[0]
            entry["pages"].append(
                {
                    **file_entry,
                    "first": message_key(first["iso"], first["id"]),
                    "messages": len(messages),
                }
            )
        entries.append(entry)
    return entries
