"""Client-side pacing per endpoint, driven by Rocket.Chat's rate-limit headers.

Rocket.Chat counts calls per client IP per route in a fixed window and sends, on every limited
answer, `X-RateLimit-Limit`, `X-RateLimit-Remaining` (after this call) and `X-RateLimit-Reset`
(ABSOLUTE epoch milliseconds on the server's clock). There is no `Retry-After`, and a token with
`api-bypass-rate-limit` (admin, bot, app) gets no headers at all, so an endpoint we know nothing
about is never held back. When an endpoint's window is used up we hold further calls to it until the
reset instead of collecting a 429. Only the caller of that endpoint sleeps, outside the lock, so
threads working on other endpoints carry on.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Fixed-window resets are the same absolute value for every call in one window; a later value by
# more than this means the server started a new window.
_SAME_WINDOW_MS = 5
# The Date header has one-second resolution: only a larger difference is real clock skew.
_SKEW_TRUST_MS = 1000


@dataclass
class EndpointWindow:
    limit: int | None = None
    remaining: int | None = None
    reset_ms: int | None = None
    in_flight: int = 0  # acquired, answer not yet seen


@dataclass(frozen=True)
class WindowSnapshot:
    limit: int | None
    remaining: int | None
    reset_ms: int | None


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


class RateLimiter:
    """Thread-safe per-endpoint pacing. Keys are opaque strings such as "GET chat.syncMessages"."""

    def __init__(
        self,
        *,
        max_wait: float = 300.0,
        margin: float = 0.02,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`sleep` waits out a window; the client passes one that a stop request interrupts
        (it raises StopRequested, and the reservation is not taken)."""
        self._max_wait = max_wait
        self._margin = margin
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[str, EndpointWindow] = {}
        self._skew_ms = 0.0  # server clock minus local clock

    def acquire(self, key: str) -> float:
        """Block until a call to `key` may go out; reserve it. Returns the seconds waited.
        Every acquire must be followed by one `complete` (with or without headers)."""
        waited = 0.0
        while True:
            with self._lock:
                window = self._windows.setdefault(key, EndpointWindow())
                delay = self._delay(window)
                if delay <= 0:
                    if window.remaining is not None:
                        window.remaining -= 1
                    window.in_flight += 1
                    return waited
            self._sleep(delay)
            waited += delay

    def complete(self, key: str, headers: Mapping[str, str] | None) -> None:
        """A call acquired for `key` ended; record its rate-limit headers, if it got an answer.
        No headers at all means this user bypasses the limiter (or it is off)."""
        reset_ms = _int_header(headers or {}, "x-ratelimit-reset")
        remaining = _int_header(headers or {}, "x-ratelimit-remaining")
        if headers and reset_ms is not None:
            self._observe_skew(headers.get("date"))
        limit = _int_header(headers or {}, "x-ratelimit-limit")
        with self._lock:
            window = self._windows.setdefault(key, EndpointWindow())
            window.in_flight = max(0, window.in_flight - 1)
            if reset_ms is None or remaining is None:
                return
            # Calls still in flight may not be counted in this answer yet: assume they are not.
            remaining = remaining - window.in_flight
            if window.reset_ms is None or reset_ms > window.reset_ms + _SAME_WINDOW_MS:
                window.limit, window.remaining, window.reset_ms = limit, remaining, reset_ms
            elif reset_ms >= window.reset_ms - _SAME_WINDOW_MS:
                # Same window; our own reservations may already be below the server's count.
                current = window.remaining if window.remaining is not None else remaining
                window.remaining = min(current, remaining)
                window.limit = limit
            # else: an answer from an older window arrived late; it says nothing new.

    def observe_refusal(self, key: str, reset_ms: int) -> None:
        """A 429: nothing more may go to `key` until `reset_ms` (server epoch ms)."""
        with self._lock:
            window = self._windows.setdefault(key, EndpointWindow())
            window.remaining = 0
            window.reset_ms = max(reset_ms, window.reset_ms or 0)

    def server_now_ms(self) -> float:
        return self._clock() * 1000.0 + self._skew_ms

    def snapshot(self) -> dict[str, WindowSnapshot]:
        with self._lock:
            return {
                key: WindowSnapshot(w.limit, w.remaining, w.reset_ms)
                for key, w in self._windows.items()
                if w.reset_ms is not None
            }

    def _delay(self, window: EndpointWindow) -> float:
        if window.remaining is None or window.remaining > 0 or window.reset_ms is None:
            return 0.0
        delay = (window.reset_ms - self.server_now_ms()) / 1000.0 + self._margin
        if delay <= 0:
            # The window rolled over: the server allows a fresh `limit` calls; its next answer
            # will tell us the new reset.
            window.remaining = window.limit
            window.reset_ms = None
            return 0.0
        return min(delay, self._max_wait)

    def _observe_skew(self, date_header: str | None) -> None:
        if not date_header:
            return
        try:
            server_ms = email.utils.parsedate_to_datetime(date_header).timestamp() * 1000.0
        except (TypeError, ValueError):
            return
        # The Date header is truncated to the second: its midpoint is the best estimate.
        skew = server_ms + 500.0 - self._clock() * 1000.0
        self._skew_ms = skew if abs(skew) > _SKEW_TRUST_MS else 0.0
