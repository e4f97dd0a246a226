"""Message text to safe HTML: from the server's `md` token tree when present, else markdown-it.

`md` is the tree of Rocket.Chat's message parser (@rocket.chat/message-parser), the same one its web
client renders. Every string in it is escaped; an unknown token shows its text, escaped; a link is
kept only for http(s)/mailto targets and always gets rel="noopener noreferrer". Without `md` (old
servers, bots, system messages) the text goes through markdown-it with raw HTML off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

SAFE_SCHEMES = {"http", "https", "mailto"}
REL = "noopener noreferrer nofollow"
Token = dict[str, Any]


def escape_text(value: Any) -> str:
    """`str(markupsafe.escape(value))`, byte for byte, without building a Markup per value (that
    was a tenth of the export's rendering)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    text = value if type(value) is str else str(value)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def safe_href(url: str) -> str | None:
    """The URL if a browser may follow it out of an archive: absolute http(s) or mailto."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in SAFE_SCHEMES else None


def link(url: str, label: Markup | str) -> Markup:
    href = safe_href(url)
    if href is None:
        return Markup(escape(label))
    return Markup('<a href="{}" rel="{}" target="_blank">{}</a>').format(href, REL, label)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")  # an archive makes no requests: images become their alt text below

    def render_link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        if safe_href(str(token.attrGet("href") or "")) is None:
            token.attrs.pop("href", None)
        token.attrSet("rel", REL)
        token.attrSet("target", "_blank")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", render_link_open)
    return md


_MD = _markdown()


def render_text(text: str) -> Markup:
    """Markdown without `md` tokens: raw HTML is shown as text, never interpreted."""
    return Markup(_MD.render(text))


def plain(value: Any) -> str:
    """The text of a token or token list (for unknown tokens and labels)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(plain(v) for v in value)
    if isinstance(value, dict):
        if "unicode" in value and value.get("value") is None:
            return str(value["unicode"])
        return plain(value.get("value", ""))
    return ""


def render_md(tokens: Any) -> Markup:
    """The HTML of a message's `md` tree."""
    if not isinstance(tokens, list):
        return Markup(escape(plain(tokens)))
    return Markup("").join(_block(t) for t in tokens)


def _inlines(value: Any) -> Markup:
    if isinstance(value, list):
        return Markup("").join(_inline(t) for t in value)
    if isinstance(value, dict):
        return _inline(value)
    return Markup(escape(plain(value)))


def _wrap(tag: str) -> Callable[[Token], Markup]:
    return lambda t: Markup(f"<{tag}>{{}}</{tag}>").format(_inlines(t.get("value")))


def _emoji(t: Token) -> Markup:
    if t.get("unicode"):
        return Markup(escape(t["unicode"]))
    code = t.get("shortCode") or plain(t.get("value"))
    return Markup('<span class="emoji">:{}:</span>').format(code)


def _link(t: Token) -> Markup:
    value = t.get("value") or {}
    url = plain(value.get("src")) if isinstance(value, dict) else ""
    label = _inlines(value.get("label")) if isinstance(value, dict) else Markup("")
    return link(url, label or url)


def _mention(prefix: str, css: str) -> Callable[[Token], Markup]:
    return lambda t: Markup('<span class="{}">{}{}</span>').format(
        css, prefix, plain(t.get("value"))
    )


def _timestamp(t: Token) -> Markup:
    value = t.get("value") or {}
    return Markup("<time>{}</time>").format(plain(value.get("timestamp", "")))


INLINE: dict[str, Callable[[Token], Markup]] = {
    "PLAIN_TEXT": lambda t: Markup(escape(plain(t.get("value")))),
    "BOLD": _wrap("strong"),
    "ITALIC": _wrap("em"),
    "STRIKE": _wrap("del"),
    "SPOILER": lambda t: Markup('<span class="spoiler">{}</span>').format(_inlines(t["value"])),
    "INLINE_CODE": lambda t: Markup("<code>{}</code>").format(plain(t.get("value"))),
    "INLINE_KATEX": lambda t: Markup("<code>{}</code>").format(plain(t.get("value"))),
    "LINK": _link,
    "MENTION_USER": _mention("@", "mention"),
    "MENTION_CHANNEL": _mention("#", "mention channel"),
    "EMOJI": _emoji,
    "COLOR": lambda t: Markup(escape(plain(t.get("value")))),
    "IMAGE": lambda t: Markup("[image: {}]").format(plain((t.get("value") or {}).get("label"))),
    "LINE_BREAK": lambda t: Markup("<br>"),
    "TIMESTAMP": _timestamp,
}


def _inline(t: Any) -> Markup:
    if not isinstance(t, dict):
        return Markup(escape(plain(t)))
    render = INLINE.get(str(t.get("type")))
    if render is None:
        return Markup(escape(plain(t)))
    try:
        return render(t)
    except (AttributeError, KeyError, TypeError):
        return Markup(escape(plain(t)))


def _code(t: Token) -> Markup:
    lines = [plain(line) for line in t.get("value") or []]
    return Markup('<pre><code data-lang="{}">{}</code></pre>').format(
        t.get("language") or "", "\n".join(lines)
    )


def _list(tag: str) -> Callable[[Token], Markup]:
    def render(t: Token) -> Markup:
        items = Markup("").join(
            Markup("<li>{}</li>").format(_inlines(item.get("value")))
            for item in t.get("value") or []
            if isinstance(item, dict)
        )
        return Markup(f"<{tag}>{{}}</{tag}>").format(items)

    return render


def _tasks(t: Token) -> Markup:
    items = Markup("").join(
        Markup("<li>{} {}</li>").format("☑" if item.get("status") else "☐", _inlines(item["value"]))
        for item in t.get("value") or []
        if isinstance(item, dict)
    )
    return Markup('<ul class="tasks">{}</ul>').format(items)


def _heading(t: Token) -> Markup:
    level = t.get("level")
    if level not in (1, 2, 3, 4):
        level = 4
    # Message headings sit below the page's own h1/h2.
    tag = f"h{min(level + 2, 6)}"
    return Markup(f"<{tag}>{{}}</{tag}>").format(_inlines(t.get("value")))


BLOCK: dict[str, Callable[[Token], Markup]] = {
    "PARAGRAPH": lambda t: Markup("<p>{}</p>").format(_inlines(t.get("value"))),
    "QUOTE": lambda t: Markup("<blockquote>{}</blockquote>").format(render_md(t.get("value"))),
    "CODE": _code,
    "ORDERED_LIST": _list("ol"),
    "UNORDERED_LIST": _list("ul"),
    "TASKS": _tasks,
    "HEADING": _heading,
    "BIG_EMOJI": lambda t: Markup('<p class="big">{}</p>').format(_inlines(t.get("value"))),
    "KATEX": lambda t: Markup("<pre><code>{}</code></pre>").format(plain(t.get("value"))),
    "LINE_BREAK": lambda t: Markup("<br>"),
}


def _block(t: Any) -> Markup:
    if not isinstance(t, dict):
        return Markup("<p>{}</p>").format(plain(t))
    render = BLOCK.get(str(t.get("type")))
    if render is None:
        return _inline(t)
    try:
        return render(t)
    except (AttributeError, KeyError, TypeError):
        return Markup("<p>{}</p>").format(plain(t))
