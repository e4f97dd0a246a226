"""The API rate limiter: a fixed window per endpoint and client IP (Meteor `RateLimiter`)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_ms: int  # absolute epoch milliseconds, as `X-RateLimit-Reset` carries it

    @property
    def wait_seconds(self) -> int:
        return max(0, math.ceil((self.reset_ms - time.time() * 1000) / 1000))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_ms),
        }


class RateLimiter:
    """N calls per window, opened by the first call. Uses wall time, as the client does."""

    def __init__(self, limit: int, window_s: float, now: Callable[[], float] = time.time) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("rate limit needs at least 1 call per a positive window")
        self.limit = limit
        self.window_s = window_s
        self._now = now
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], list[float]] = {}  # key -> [start, calls]

    def hit(self, endpoint: str, client_ip: str) -> Verdict:
        now = self._now()
        with self._lock:
            slot = self._windows.get((endpoint, client_ip))
            if slot is None or now >= slot[0] + self.window_s:
                slot = self._windows[(endpoint, client_ip)] = [now, 0]
            slot[1] += 1
            calls, reset = int(slot[1]), slot[0] + self.window_s
        return Verdict(
            calls <= self.limit, self.limit, max(0, self.limit - calls), int(reset * 1000)
        )


def parse_rate_limit(text: str) -> tuple[int, float]:
    """`10/60` means 10 calls per 60 seconds; the window may be fractional (`5/0.5`)."""
    try:
        calls, seconds = text.split("/", 1)
        parsed = int(calls), float(seconds)
    except ValueError:
        raise ValueError(f"rate limit {text!r} is not CALLS/SECONDS, e.g. 10/60") from None
    if parsed[0] < 1 or parsed[1] <= 0:
        raise ValueError(
            f"rate limit {text!r} needs at least 1 call per a positive number of seconds"
        )
    return parsed
