"""One message's HTML, built in Python rather than by a Jinja macro per message (the macro call
was a third of the export's time).

A message is two parts: its *head* (the `<article>` up to its thread block), which depends only on
the message row and its children, so it is rendered once and cached by `change_seq`
(fragments.py); and its *tail* (the thread block and `</article>`), which depends on the replies
shown under it and is assembled with every page. Every value goes through `escape_text`; `body` and
version bodies are already safe Markup (markup.py).
"""

from __future__ import annotations

from typing import Any

from etl.export.html.markup import escape_text, link
from etl.export.html.render import filesize

_e = escape_text


def _by(username: Any) -> str:
    return f" by @{_e(username)}" if username else ""


def _header(m: dict[str, Any], reply: bool) -> str:
    mid = _e(m["id"])
    out = [f'<h3 class="meta" id="m-{mid}">\n']
    if not m["system"]:
        title = _e(m["author_name"] or "")
        out.append(f'<span class="author" title="{title}">@{_e(m["author"])}</span>\n')
    # The times are digits and punctuation (times.py): nothing to escape.
    out.append(
        f'<a class="when" href="#m-{mid}"><time datetime="{m["iso"]}">{m["utc"]}</time>'
        "</a>\n<span>\n"
    )
    if m["pinned"]:
        out.append('<span class="tag pin" title="pinned">📌 pinned</span>')
    if m["starred"]:
        out.append(
            f'<span class="tag star" title="starred by {m["starred"]}">★ {m["starred"]}</span>'
        )
    if reply:
        out.append(f'<a class="to-parent" href="#m-{_e(m["tmid"])}">↩ thread</a>')
    out.append("</span>\n</h3>\n")
    return "".join(out)


def _versions(versions: list[dict[str, Any]]) -> str:
    n = len(versions)
    plural = "s" if n != 1 else ""
    out = [f'<details class="versions"><summary>{n} previous version{plural}</summary>\n']
    for v in versions:
        out.append(
            f'<div class="version"><p class="meta">{_e(v["kind"] or "version")} {_e(v["version"])}'
            f'{_by(v["by"])} at {_e(v["when"])}</p><div class="body">{v["body"]}</div></div>'
        )
    out.append("</details>\n")
    return "".join(out)


def _files(m: dict[str, Any]) -> str:
    out = []
    for f in m["files"]:
        size = f", {_e(filesize(f['size']))}" if f.get("size") is not None else ""
        out.append(
            f'<p class="file">📎 {_e(f.get("name") or "file")} '
            f'<span class="muted">{_e(f.get("type") or "")}{size}</span></p>'
        )
    for a in m["attachments"]:
        title = f"<strong>{_e(a['title'])}</strong>" if a["title"] else ""
        kind = _e(a["kind"] or "") + (f" {_e(a['type'])}" if a["type"] else "")
        size = f", {_e(filesize(a['size']))}" if a["size"] else ""
        described = f'<p class="muted">{_e(a["description"])}</p>' if a["description"] else ""
        out.append(
            f'<div class="attachment"><p>{title} <span class="muted">{kind}{size}</span></p>'
            f"{described}</div>"
        )
    for u in m["urls"]:
        described = (
            f' <span class="muted">{_e(u["description"])}</span>' if u.get("description") else ""
        )
        label = str(u.get("title") or u.get("url") or "")
        out.append(f'<p class="url">🔗 {link(str(u.get("url") or ""), label)}{described}</p>')
    return "".join(out)


def _reactions(reactions: list[tuple[str, list[str]]]) -> str:
    out = ['<ul class="reactions">']
    for emoji, who in reactions:
        names = ", ".join(f"@{_e(u)}" for u in who)
        out.append(
            f'<li title="{names}">{_e(emoji)} {len(who)} <span class="who">{names}</span></li>'
        )
    out.append("</ul>")
    return "".join(out)


def message_head(m: dict[str, Any], reply: bool) -> str:
    """The message's `<article>` up to its thread block: cacheable, as it depends on the row."""
    css = "msg" + (" system" if m["system"] else "") + (" deleted" if m["deleted"] else "")
    out = [f'<article class="{css}{" reply" if reply else ""}">\n', _header(m, reply)]
    if m["system"]:
        out.append(f'<p class="sentence">{_e(m["system"])}</p>\n')
    if m["deleted"]:
        at = f" at {_e(m['deleted_at'])}" if m["deleted_at"] else ""
        out.append(f'<p class="tombstone">message deleted{at}{_by(m["edited_by"])}</p>\n')
    if m["body"]:
        out.append(f'<div class="body">{m["body"]}</div>\n')
    if m["edited"] and not m["deleted"]:
        out.append(f'<p class="edited">edited{_by(m["edited_by"])} at {_e(m["edited_at"])}</p>\n')
    if m["versions"]:
        out.append(_versions(m["versions"]))
    out.append(_files(m))
    if m["reactions"]:
        out.append(_reactions(m["reactions"]))
    if m["drid"]:
        count = f" ({_e(m['dcount'])} messages)" if m["dcount"] else ""
        target = _e(m["discussion_href"])
        out.append(f'<p class="discussion">💬 <a href="{target}">discussion{count}</a></p>')
    return "".join(out)


def message_tail(tcount: int, replies: list[str]) -> str:
    """The thread block under a message (`replies` are complete reply articles) and `</article>`."""
    if replies:
        n = len(replies)
        counted = f" (server counts {tcount})" if tcount and tcount != n else ""
        summary = f"{n} repl{'y' if n == 1 else 'ies'}{counted}"
        return (
            f'<details class="thread"><summary>{summary}</summary>\n'
            + "".join(replies)
            + "</details></article>\n"
        )
    if tcount:
        return f'<p class="muted">{tcount} replies (not in this archive)</p></article>\n'
    return "</article>\n"
