"""The simulated clock: server time that never goes backwards and that tests can move forward."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

_ISO_CACHE: dict[int, str] = {}


def iso(ms: int) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, as `JSON.stringify(new Date())` writes it."""
    seconds, millis = divmod(ms, 1000)
    head = _ISO_CACHE.get(seconds)
    if head is None:
        head = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        if len(_ISO_CACHE) > 200_000:
            _ISO_CACHE.clear()
        _ISO_CACHE[seconds] = head
    return f"{head}.{millis:03d}Z"


def parse_date(value: str) -> int | None:
    """Epoch ms of an ISO date (`Date.parse`-like); None when it is not a valid date."""
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


class SimClock:
    """Epoch-ms server time: starts at `start_ms`, follows real time, jumps with `advance`.

    It never goes backwards, even when several threads read it. `freeze()` stops it so tests can
    produce writes sharing one millisecond, as bulk sends do on a real server.
    """

    def __init__(self, start_ms: int) -> None:
        self._lock = threading.Lock()
        self._base = start_ms
        self._mono0 = time.monotonic_ns()
        self._offset = 0
        self._last = start_ms
        self._frozen_at: int | None = None

    def now(self) -> int:
        with self._lock:
            if self._frozen_at is not None:
                value = self._frozen_at + self._offset
            else:
                value = self._base + (time.monotonic_ns() - self._mono0) // 1_000_000 + self._offset
            self._last = max(self._last, value)
            return self._last

    def now_iso(self) -> str:
        return iso(self.now())

    def advance(self, seconds: float) -> int:
        if seconds < 0:
            raise ValueError("the simulated clock never goes backwards")
        with self._lock:
            self._offset += int(seconds * 1000)
        return self.now()

    def freeze(self) -> None:
        current = self.now()
        with self._lock:
            self._frozen_at = current - self._offset

    def unfreeze(self) -> None:
        current = self.now()
        with self._lock:
            self._frozen_at = None
            self._base = current - self._offset
            self._mono0 = time.monotonic_ns()
