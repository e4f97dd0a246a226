"""Which messages a room-month's pages show, in order, with thread replies under their parent.

A page shows the room's messages of its month (by `ts`) and the replies to thread parents among
them wherever those replies were posted; a reply whose parent is in the archive but in another
month is shown there. The database answers this by reading the months again. The fragment
sidecar (fragments.py) knows, for every message shown, what places it (ts, tmid, thread head) as
of the change_seq of its last run, so placement reads from the database only the rows changed
since: a run that edits 1% of the messages at random touches a third of the room-months, and
reading those months again was most of its time.

Placing from the sidecar is trusted only when it adds up: every message the database now shows
must be a sidecar row not changed since, or a changed row read now (`Changes.complete`), and each
month placed must hold as many messages as its signature counts. Otherwise the months are read
from the database as before.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from etl.export.filters import ExportFilters
from etl.export.html import children, queries
from etl.export.html.fragments import FragmentCache, Placed
from etl.export.html.queries import RoomMonth
from etl.export.html.times import UNDATED, times_of
from etl.export.html.views import arrange

Rows = list[dict[str, Any]]


@dataclass
class Changes:
    """Messages changed or purged since the sidecar's run (`gone`: in any room, inside the
    filters or not), and the changed rows inside the filters, by room."""

    gone: set[str]
    rows: dict[str, Rows]
    full: dict[str, dict[str, Any]]  # the changed rows whole, with their children: rendered next
    shown: dict[str, Placed]  # the sidecar rows of the `gone` messages (as last shown)


def changes_since(
    conn: Connection,
    filters: ExportFilters,
    cache: FragmentCache,
    signatures: dict[RoomMonth, list[Any]],
    versions: bool,
) -> Changes | None:
    """What changed since the sidecar's run, if the sidecar plus these rows is the whole site."""
    since = cache.seq()
    if since is None:
        return None
    gone = queries.changed_or_purged_ids(conn, since)
    rows: dict[str, Rows] = {}
    for row in _keyed(queries.changed_light_rows(conn, filters, since)):
        rows.setdefault(row["rid"], []).append(row)
    shown_before = cache.by_ids(gone)
    kept = cache.count() - len(shown_before)
    shown = sum(sig[0] for sig in signatures.values())
    if kept + sum(len(r) for r in rows.values()) != shown:
        return None
    # Read in one go for every room (by room, the reads of a few rows each were most of a run).
    changed = [r["id"] for found in rows.values() for r in found]
    full = {r["id"]: r for r in children.messages_by_id(conn, changed, versions)}
    return Changes(gone, rows, full, shown_before)


def counted_author(row: dict[str, Any]) -> str | None:
    """Whom a message counts for on the users page (authors.py): its author's id ("" when it
    has none) unless it is a system message."""
    return (row["u_id"] or "") if row["t"] is None else None


def _keyed(rows: Rows) -> Rows:
    """Database rows with what orders and places them: `ts_iso` (Python's isoformat: PostgreSQL
    may sort ids case-insensitively, and page boundaries must be found again with the same
    comparison), `ts_month`, `author` (authors.py), and `ts_times` for the page (times.py)."""
    for row in rows:
        times = row["ts_times"] = times_of(row["ts"])
        if times is None:
            row["ts_iso"], row["ts_month"] = "", UNDATED
        else:
            row["ts_iso"], row["ts_month"] = times.iso, times.month
        row["author"] = counted_author(row)
    return rows


def _light(found: tuple[Any, ...]) -> dict[str, Any]:
    """A sidecar row (FragmentCache.placing) as the keyed light row of the same message."""
    mid, ts, ts_month, tmid, tcount, tlm, seq, author = found
    return {
        "id": mid,
        "ts_iso": ts or "",
        "ts_month": ts_month,
        "tmid": tmid,
        "tcount": tcount,
        "tlm": True if tlm else None,
        "change_seq": seq,
        "author": author,
    }


def _by_month(rows: Rows, present: set[str], months: list[str]) -> dict[str, Rows]:
    rows.sort(key=lambda row: (row["ts_iso"], row["id"]))
    by_month: dict[str, Rows] = {m: [] for m in months}
    for row in arrange(rows, present):
        if row["ts_month"] in by_month:
            by_month[row["ts_month"]].append(row)
    return by_month


def _from_database(
    conn: Connection, rid: str, months: list[str], filters: ExportFilters, whole: bool, total: int
) -> dict[str, Rows]:
    """`whole`: read the rows whole, as they are rendered next (no sidecar to render from): one
    read of the room instead of two. `total`: the room's messages (its signatures)."""
    found = queries.room_messages(conn, rid, months, filters, not whole, total)
    rows = _keyed(found)
    ids = {r["id"] for r in rows}
    missing = {r["tmid"] for r in rows if r["tmid"] and r["tmid"] not in ids}
    # Every message of the room read: a parent not among them is not in the archive.
    complete = len(rows) == total
    present = (
        queries.existing_parents(conn, rid, missing, filters) if missing and not complete else set()
    )
    return _by_month(rows, present, months)


def _from_cache(
    cache: FragmentCache, changes: Changes, rid: str, months: list[str], counts: list[int]
) -> dict[str, Rows] | None:
    """As _from_database, from the sidecar and the changed rows; None if a month's count
    disagrees with its signature."""
    gone = changes.gone
    changed = changes.rows.get(rid, [])
    kept = [_light(f) for f in cache.placing(rid, "ts_month", months) if f[0] not in gone]
    rows = kept + [r for r in changed if r["ts_month"] in months]
    if Counter(r["ts_month"] for r in rows) != Counter(dict(zip(months, counts, strict=True))):
        return None
    ids = {r["id"] for r in rows}
    parents = {r["id"] for r in rows if r["tcount"] or r["tlm"]}
    replies = [_light(f) for f in cache.placing(rid, "tmid", sorted(parents)) if f[0] not in gone]
    for reply in replies + [r for r in changed if r["tmid"] in parents]:
        if reply["id"] not in ids:
            rows.append(reply)
            ids.add(reply["id"])
    missing = {r["tmid"] for r in rows if r["tmid"] and r["tmid"] not in ids}
    present = {f[0] for f in cache.placing(rid, "id", sorted(missing)) if f[0] not in gone}
    present |= {r["id"] for r in changed if r["id"] in missing}
    return _by_month(rows, present, months)


def placed_rows(
    conn: Connection, rid: str, months: list[str], ctx: dict[str, Any], total: int
) -> dict[str, Rows]:
    """Month -> its top-level messages (replies attached), in order: light rows, or whole ones
    (without their children) when there is no sidecar to place them from; `total`: the room's
    messages (its signatures)."""
    changes: Changes | None = ctx.get("changes")
    if changes is not None:
        counts = [ctx["signatures"][(rid, m)][0] for m in months]
        found = _from_cache(ctx["cache"], changes, rid, months, counts)
        if found is not None:
            ctx["from_sidecar"] += 1
            return found
    return _from_database(conn, rid, months, ctx["filters"], changes is None, total)
