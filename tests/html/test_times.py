"""times.py gives the bytes datetime's own formatting gave, from SQLite's text or a datetime."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from etl.export.html.times import times_of


def _expected(ts: datetime) -> tuple[str, str, str, str]:
    """What the pages and the sidecar were built from before times.py (views.py, placement.py)."""
    aware = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return (
        aware.isoformat(),
        f"{aware.year:04d}-{aware.month:02d}",
        aware.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        aware.strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def _samples() -> list[datetime]:
    rng = random.Random(5)
    found = [
        datetime(2024, 1, 1),
        datetime(2024, 12, 31, 23, 59, 59, 999999),
        datetime(2026, 8, 26, 0, 3, 51, 181000),
        datetime(2026, 8, 26, 0, 3, 51, 999),  # under a millisecond
        datetime(1000, 1, 1, 0, 0, 0, 5),
        datetime(999, 12, 31, 23, 59, 59),  # strftime does not pad the year
        datetime(9999, 12, 31, 23, 59, 59, 1),
    ]
    start = datetime(1970, 1, 1)
    for _ in range(2000):
        found.append(start + timedelta(microseconds=rng.randrange(0, 2**61 // 1000)))
    return found


def test_texts_of_sqlite_text_and_datetimes_are_datetime_formatting() -> None:
    east = timezone(timedelta(hours=5, minutes=30))
    for ts in _samples():
        expected = _expected(ts)
        stored = ts.strftime("%Y-%m-%d %H:%M:%S.%f") if ts.year >= 1000 else ts.isoformat(" ")
        assert tuple(times_of(stored) or ()) == expected, stored  # SQLite's text
        assert tuple(times_of(ts) or ()) == expected, ts  # naive: UTC
        assert tuple(times_of(ts.replace(tzinfo=UTC)) or ()) == expected, ts
        if datetime(1000, 1, 2) < ts < datetime(9999, 12, 30):  # PostgreSQL's session zone
            shown = ts.replace(tzinfo=UTC).astimezone(east)
            assert tuple(times_of(shown) or ()) == expected, shown


def test_other_spellings_and_none() -> None:
    assert times_of(None) is None
    ts = datetime(2025, 3, 4, 5, 6, 7)
    for text in ("2025-03-04 05:06:07", "2025-03-04T05:06:07", "2025-03-04T05:06:07+00:00"):
        assert tuple(times_of(text) or ()) == _expected(ts), text
