"""The users page's message counts (messages that are not system messages, by author id), found
from the messages a run places rather than by a scan of every message where that gives the same.

The scan was a tenth of a re-export after 1% of the messages changed. The fragment sidecar keeps,
with each message shown, whom it counts for (`author`), and the counts as of its run. A site
without filters shows every message, so:
- a run that renders every room-month counts the authors of the messages it places;
- a later run takes the sidecar's counts, takes off the messages changed or purged since as the
  sidecar has them, and adds the changed ones as they are now (the rows placement read:
  placement.py), which is what the sidecar holds after the run.
Counts cover every message, so a site with filters, or a run that cannot place from the sidecar,
scans (`queries.user_counts`) and forgets the kept counts.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection

from etl.export.filters import ExportFilters
from etl.export.html import queries
from etl.export.html.fragments import FragmentCache
from etl.export.html.placement import Changes


def _unfiltered(filters: ExportFilters) -> bool:
    return not (filters.rooms or filters.since or filters.until)


def user_counts(
    conn: Connection, ctx: dict[str, Any], full: bool
) -> tuple[dict[str, int], dict[str, int] | None]:
    """User id -> messages for the users page, and the counts for the sidecar to keep (None:
    they do not follow from its rows)."""
    placed: Counter[str] = ctx["authors"]
    if _unfiltered(ctx["filters"]) and full:
        counts = dict(placed)
        return counts, counts
    changes: Changes | None = ctx["changes"]
    cache: FragmentCache = ctx["cache"]
    kept = cache.user_counts() if _unfiltered(ctx["filters"]) and changes is not None else None
    if kept is None or changes is None:
        return queries.user_counts(conn), None
    found = Counter(kept)
    found.subtract(p.author for p in changes.shown.values() if p.author is not None)
    found.update(
        r["author"] for rows in changes.rows.values() for r in rows if r["author"] is not None
    )
    if any(n < 0 for n in found.values()):  # the sidecar did not hold what it counted
        return queries.user_counts(conn), None
    counts = {author: n for author, n in found.items() if n}
    return counts, counts
