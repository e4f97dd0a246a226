"""The pages that lead to the room-months: the site index, the users page, the search page and
each room's index, and the static files. Rendered on every run (the writer skips files whose bytes
did not change), but for a room index whose content the previous run's manifest shows unchanged
(its `index` key: what the page shows of the room and its months): rendering the rooms' indexes
was a tenth of a re-export after 1% of the messages changed, for pages mostly written the same."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import orjson
from jinja2 import Environment

from etl.export.html.layout import href, room_index_path
from etl.export.html.manifest import SiteWriter
from etl.export.html.render import STATIC_FILES, static_file
from etl.export.html.rooms import grouped, with_links


def write_navigation(
    env: Environment,
    rooms: dict[str, dict[str, Any]],
    months: list[dict[str, Any]],
    page_globals: dict[str, Any],
    users: list[dict[str, Any]],
    write: SiteWriter,
    search: bool,
    previous: dict[str, Any] | None,
) -> dict[str, str]:
    """Index, users, search and per-room pages, and the static files; `previous`: the previous
    run's manifest. Returns each room index's key for the manifest."""
    # Only index.html shows the run's date: the other pages keep their bytes between runs.
    plain = {k: v for k, v in page_globals.items() if k != "generated"}
    write("index.html", _site_index(env, rooms, page_globals))
    users_page = env.get_template("users.html.j2").render(**plain, root="", users=users)
    write("users.html", users_page.encode())
    search_page = env.get_template("search.html.j2").render(**plain, root="", has_index=search)
    write("search.html", search_page.encode())
    before = (previous or {}).get("rooms", {})
    keys = _write_room_indexes(env, rooms, months, plain, write, before)
    for name in STATIC_FILES:
        write(f"static/{name}", static_file(name))
    return keys


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
    write: SiteWriter,
    before: dict[str, Any],
) -> dict[str, str]:
    keys: dict[str, str] = {}
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
        shown = orjson.dumps([room, listed], option=orjson.OPT_SORT_KEYS, default=str)
        keys[rid] = key = hashlib.sha256(shown).hexdigest()[:16]
        path = room_index_path(rid)
        if before.get(rid, {}).get("index") == key and write.keep(path):
            continue
        html = template.render(
            **plain, root="../../", room=with_links(room, "../../"), months=listed
        )
        write(path, html.encode())
    return keys
