"""The server's clock as its answers' Date headers tell it."""

from __future__ import annotations

import email.utils
import threading
import time


class ServerClock:
    """The server's time, from the Date header of its latest answer: watermarks are bounded by
    it (a document dated in 2999 must not move a cursor past what the server calls now)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._header: str | None = None
        self._at: tuple[float, float] | None = None  # (server epoch ms, local monotonic s)

    def observe(self, date_header: str | None) -> None:
        if not date_header:
            return
        with self._lock:
            if date_header == self._header:  # one-second resolution: parse each value once
                return
            try:
                server_ms = email.utils.parsedate_to_datetime(date_header).timestamp() * 1000.0
            except (TypeError, ValueError, IndexError):
                return
            self._header = date_header
            # Truncated to the second: the end of that second bounds the true time from above.
            self._at = (server_ms + 1000.0, time.monotonic())

    def now_ms(self) -> float | None:
        with self._lock:
            if self._at is None:
                return None
            server_ms, local = self._at
        return server_ms + (time.monotonic() - local) * 1000.0
