"""The pages that lead to the room-months: the site index, the users page, the search page and
each room's index, and the static files. Cheap, so rendered on every run (the writer skips files
whose bytes did not change)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from jinja2 import Environment

from etl.export.html.layout import href, room_index_path
from etl.export.html.pages import Writer
from etl.export.html.render import STATIC_FILES, static_file
from etl.export.html.rooms import grouped, with_links


def write_navigation(
    env: Environment,
    rooms: dict[str, dict[str, Any]],
    months: list[dict[str, Any]],
    page_globals: dict[str, Any],
    users: list[dict[str, Any]],
    write: Writer,
    search: bool,
) -> None:
    """Index, users, search and per-room pages, and the static files."""
    # Only index.html shows the run's date: the other pages keep their bytes between runs.
    plain = {k: v for k, v in page_globals.items() if k != "generated"}
    write("index.html", _site_index(env, rooms, page_globals))
    users_page = env.get_template("users.html.j2").render(**plain, root="", users=users)
    write("users.html", users_page.encode())
    search_page = env.get_template("search.html.j2").render(**plain, root="", has_index=search)
    write("search.html", search_page.encode())
    _write_room_indexes(env, rooms, months, plain, write)
    for name in STATIC_FILES:
        write(f"static/{name}", static_file(name))


def _site_index(
    env: Environment, rooms: dict[str, dict[str, Any]], page_globals: dict[str, Any]
) -> bytes:
    firsts = [r["first"] for r in rooms.values() if r["first"]]
    lasts = [r["last"] for r in rooms.values() if r["last"]]
    html = env.get_template("index.html.j2").render(
        **page_globals,
        root="",
        groups=grouped(rooms),
        total_rooms=len(rooms),
        total_messages=sum(r["messages"] for r in rooms.values()),
        range_text=f"{min(firsts)} to {max(lasts)}" if firsts and lasts else "",
    )
    return html.encode()


def _write_room_indexes(
    env: Environment,
    rooms: dict[str, dict[str, Any]],
    months: list[dict[str, Any]],
    plain: dict[str, Any],
    write: Writer,
) -> None:
    pages_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in months:
        if entry["pages"]:
            pages_of[entry["room"]].append(entry)
    template = env.get_template("room_index.html.j2")
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
        html = template.render(
            **plain, root="../../", room=with_links(room, "../../"), months=listed
        )
        write(room_index_path(rid), html.encode())
