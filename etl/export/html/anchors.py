"""Where a message is shown in the site: the URL of its anchor on its page (a reply is shown
under its thread parent, on the parent's page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from etl.export.filters import ExportFilters
from etl.export.html.layout import PageLocator, href, message_key
from etl.export.html.queries import MESSAGES, month_of
from etl.export.html.views import utc_iso


def anchor_url(
    locator: PageLocator, rid: str, mid: str, ts: Any, parent_id: str | None, parent_ts: Any
) -> str | None:
    """`rooms/rid=…/2024-03.html#m-<id>` for a message, or None when no page shows it."""
    anchor_id, anchor_ts = (parent_id, parent_ts) if parent_id else (mid, ts)
    page = locator.page(rid, month_of(anchor_ts), message_key(utc_iso(anchor_ts), anchor_id))
    if page is None:
        return None
    return f"{href(page)}#m-{quote(mid, safe='')}"


def parent_join(filters: ExportFilters) -> tuple[Any, sa.ColumnElement[bool]]:
    """The thread parent as the site places it: same room, inside the time filters."""
    parent = MESSAGES.alias("p")
    clauses = [parent.c.id == MESSAGES.c.tmid, parent.c.rid == MESSAGES.c.rid]
    if filters.since:
        clauses.append(parent.c.ts >= filters.since)
    if filters.until:
        clauses.append(parent.c.ts < filters.until)
    return parent, sa.and_(*clauses)
