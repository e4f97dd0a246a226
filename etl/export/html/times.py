"""A message time's texts (its order key, month, and the UTC times a page shows), found in one go
from what the database gives: SQLite's text as it keeps a UTC datetime, or a datetime.

`datetime.isoformat` and `strftime` cost ~16,000 instructions a call in CPython 3.11 (they format
through `PyUnicode_FromFormat` and libc's printf), and SQLAlchemy's UTC type made an aware datetime
of every value first (`datetime.replace`, ~2,700 more): with three such calls per message, a tenth
of a full export. The texts are the same bytes as those calls give (`tests/html/test_times.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

UNDATED = "undated"
_TWO = tuple(f"{i:02d}" for i in range(100))


class Times(NamedTuple):
    iso: str  # datetime.isoformat() of the aware UTC time: the order of a room's messages
    month: str  # "YYYY-MM"
    utc_iso: str  # "YYYY-MM-DDTHH:MM:SS.mmmZ" (a page's <time datetime>)
    utc: str  # "YYYY-MM-DD HH:MM:SS UTC" (what a page shows)


def _from_parts(date: str, clock: str, micro: str) -> Times:
    iso = f"{date}T{clock}.{micro}+00:00" if micro != "000000" else f"{date}T{clock}+00:00"
    return Times(iso, date[:7], f"{date}T{clock}.{micro[:3]}Z", f"{date} {clock} UTC")


def _slow(ts: datetime) -> Times:
    """Years before 1000: strftime's %Y does not pad them, isoformat does."""
    iso = ts.isoformat()
    return Times(
        iso,
        f"{ts.year:04d}-{ts.month:02d}",
        ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        ts.strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def times_of(value: datetime | str | None) -> Times | None:
    """The texts of a time (None: no time). A string is SQLite's naive UTC text; a naive
    datetime is UTC, an aware one is converted to UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        # SQLAlchemy keeps a datetime on SQLite as "YYYY-MM-DD HH:MM:SS.ffffff"
        if len(value) == 26 and value[10] == " " and value[19] == "." and value[:4] >= "1000":
            return _from_parts(value[:10], value[11:19], value[20:])
        ts = datetime.fromisoformat(value)
    else:
        ts = value
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    elif ts.tzinfo is not UTC:
        ts = ts.astimezone(UTC)
    if ts.year < 1000:
        return _slow(ts)
    two = _TWO
    date = f"{ts.year}-{two[ts.month]}-{two[ts.day]}"
    clock = f"{two[ts.hour]}:{two[ts.minute]}:{two[ts.second]}"
    return _from_parts(date, clock, f"{ts.microsecond:06d}")
