"""Database rows to what a page shows: one dict per message, with its thread replies placed
under their parent, and the room-month's top-level messages split into pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from etl.export.html.markup import escape_text, render_md, render_text
from etl.export.html.system import system_sentence
from etl.export.html.times import times_of

PAGE_MESSAGES = 500  # top-level messages per page; a longer month is split into parts


def utc_text(ts: datetime | str | None) -> str:
    times = times_of(ts)
    return times.utc if times is not None else "unknown time"


def utc_iso(ts: datetime | str | None) -> str:
    times = times_of(ts)
    return times.utc_iso if times is not None else ""


def _only_text(md: Any) -> str | None:
    """The text of the commonest tree, one paragraph of plain text (a fast path: no markup)."""
    if isinstance(md, list) and len(md) == 1 and isinstance(md[0], dict):
        block = md[0]
        inline = block.get("value")
        if block.get("type") == "PARAGRAPH" and isinstance(inline, list) and len(inline) == 1:
            token = inline[0]
            if isinstance(token, dict) and token.get("type") == "PLAIN_TEXT":
                value = token.get("value")
                return value if isinstance(value, str) else None
    return None


def _body(row: dict[str, Any], raw: dict[str, Any]) -> Markup:
    md = raw.get("md")
    if md:
        text = _only_text(md)
        if text is not None:
            return Markup("<p>" + escape_text(text) + "</p>")  # escape_text gives a str
        return render_md(md)
    text = row.get("msg") or ""
    return render_text(text) if text else Markup("")


def _reactions(rows: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for r in rows:
        grouped.setdefault(r["emoji"], []).append(r["username"])
    return list(grouped.items())


def _attachments(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = []
    for a in rows:
        raw = a.get("raw") or {}
        shown.append(
            {
                "title": a.get("title"),
                "type": raw.get("image_type") or raw.get("video_type") or raw.get("audio_type"),
                "kind": a.get("type"),
                "size": raw.get("image_size") or raw.get("video_size") or raw.get("audio_size"),
                "description": raw.get("description") or a.get("text"),
                "author": raw.get("author_name"),
            }
        )
    return shown


def _versions(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Earlier texts of the message (message_versions), newest first, without the current one."""
    shown = []
    for v in row.get("versions") or []:
        if v.get("kind") not in (None, "created", "edited") or v.get("msg") == row.get("msg"):
            continue
        when = v.get("edited_at") or v.get("observed_at")
        if isinstance(when, datetime) and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        shown.append(
            {
                "version": v.get("version"),
                "kind": v.get("kind"),
                "by": v.get("edited_by_username"),
                "when": utc_text(when) if isinstance(when, datetime) else str(when or ""),
                "body": render_text(v.get("msg") or ""),
            }
        )
    return list(reversed(shown))


def message_view(row: dict[str, Any]) -> dict[str, Any]:
    raw = row.get("raw") or {}
    deleted = bool(row.get("deleted_at")) or row.get("t") == "rm"
    system = None
    if row.get("t") and row["t"] != "rm":
        system = system_sentence(row["t"], row.get("u_username"), row.get("msg"))
    times = row["ts_times"] if "ts_times" in row else times_of(row.get("ts"))  # placement.py
    return {
        "id": row["id"],
        "ts": row.get("ts"),
        "iso": times.utc_iso if times is not None else "",
        "utc": times.utc if times is not None else "unknown time",
        "author": row.get("u_username") or "unknown",
        "author_name": row.get("alias") or row.get("u_name"),
        "system": system,
        "body": Markup("") if system else _body(row, raw),
        "deleted": deleted,
        "deleted_at": utc_text(row.get("deleted_at")) if row.get("deleted_at") else None,
        "edited": bool(row.get("edited_at")) and row.get("t") != "rm",
        "edited_at": utc_text(row.get("edited_at")),
        "edited_by": row.get("edited_by_username"),
        "pinned": bool(row.get("pinned")),
        "starred": len(raw.get("starred") or []),
        "reactions": _reactions(row.get("reactions") or []),
        "files": row.get("files") or [],
        "attachments": _attachments(row.get("attachments") or []),
        "urls": row.get("urls") or [],
        "tmid": row.get("tmid"),
        "tshow": bool(row.get("tshow")),
        "tcount": row.get("tcount") or 0,
        "drid": row.get("drid"),
        "dcount": row.get("dcount"),
        "versions": _versions(row),
        "replies": [],
    }


def arrange(rows: Iterable[dict[str, Any]], parents_present: set[str]) -> list[dict[str, Any]]:
    """Top-level rows in order, each with its `replies` (kept in order). A reply whose parent is
    not in the archive stands on its own, so no message is ever lost."""
    rows = list(rows)
    by_id = {r["id"]: r for r in rows}
    for row in rows:
        row["replies"] = []
    top = []
    for row in rows:
        parent = by_id.get(row["tmid"]) if row["tmid"] else None
        if parent is None and row["tmid"] in parents_present:
            continue  # its parent lives in another month: it is shown there
        if parent is not None:
            parent["replies"].append(row)
        else:
            top.append(row)
    return top


def paginate(top: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    if not top:
        return []
    return [top[i : i + PAGE_MESSAGES] for i in range(0, len(top), PAGE_MESSAGES)]
