"""The Jinja2 environment (autoescape on for everything) and the site's static files."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from etl.export.html.markup import link

# Nothing outside the archive: scripts, styles, images and fetches only from the archive itself.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'"
)
STATIC_FILES = (
    "style.css",
    "site.js",
    "search.js",
    "minisearch.js",
    "minisearch.LICENSE.txt",
)


def filesize(value: Any) -> str:
    try:
        size = float(value)
    except (TypeError, ValueError):
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _link(url: Any, label: Any) -> Markup:
    return link(str(url or ""), str(label or url or ""))


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("etl.export.html", "templates"),
        autoescape=True,  # every template, whatever its file name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["filesize"] = filesize
    env.filters["link"] = _link
    env.globals["csp"] = CSP
    return env


def static_file(name: str) -> bytes:
    return files("etl.export.html").joinpath("static", name).read_bytes()
