"""Time, converted in one place: Rocket.Chat timestamps <-> epoch ms <-> aware UTC datetimes.

Cursors and watermarks are epoch ms (the unit of chat.syncMessages' `next`); the wire carries
ISO-8601 UTC with milliseconds and a Z; the database holds aware UTC datetimes (the `UTCDateTime`
column type reads SQLite's naive text back as UTC, so nothing here re-attaches a zone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# 9999-12-31T23:59:59.999Z: the last instant a datetime (and so a checkpoint) can hold.
MAX_MS = 253_402_300_799_999


def stamp_ms(value: Any) -> int | None:
    """Epoch ms of a Rocket.Chat timestamp (ISO-8601, EJSON `{"$date": ...}`, epoch ms), or None
    when it is not a date a checkpoint could hold."""
    if isinstance(value, dict):  # EJSON {"$date": ...} only in dumps, tolerated anyway
        value = value.get("$date")
        if isinstance(value, dict):
            value = value.get("$numberLong")
            value = int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if 0 <= value <= MAX_MS else None  # also rejects NaN
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:  # a zone-less wire date is UTC (the server's own convention)
            parsed = parsed.replace(tzinfo=UTC)
        ms = round(parsed.timestamp() * 1000)
        return ms if 0 <= ms <= MAX_MS else None
    return None


def ms_to_iso(ms: int) -> str:
    """The wire format: `2024-05-01T12:00:00.123Z`."""
    stamp = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def doc_ms(doc: dict[str, Any], key: str = "_updatedAt") -> int:
    """A screened document's timestamp in epoch ms (0 when absent or not a date)."""
    return stamp_ms(doc.get(key)) or 0


def dt_to_ms(value: datetime | None) -> int | None:
    """An aware datetime (as the database returns it) in epoch ms."""
    return None if value is None else round(value.timestamp() * 1000)


def ms_to_dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def deletion_time(doc: dict[str, Any], key: str = "_deletedAt") -> datetime | None:
    """When a deletion record says the document went (its `_updatedAt` when `key` is missing)."""
    return ms_to_dt(doc_ms(doc, key) or doc_ms(doc) or None)
