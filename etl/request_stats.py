"""What a client has sent: requests per endpoint, retries and rate-limit waits (`rcetl sync`
prints them; `bench/` counts requests with them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    by_endpoint: dict[str, int] = field(default_factory=dict)


class RequestRecorder:
    """Counts what a client sends, from any of its threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats = RequestStats()

    def request(self, endpoint: str) -> None:
        with self._lock:
            self._stats.requests += 1
            self._stats.by_endpoint[endpoint] = self._stats.by_endpoint.get(endpoint, 0) + 1

    def retry(self) -> None:
        with self._lock:
            self._stats.retries += 1

    def wait(self, seconds: float) -> None:
        with self._lock:
            self._stats.rate_limit_waits += 1
            self._stats.rate_limit_wait_seconds += seconds

    def snapshot(self) -> RequestStats:
        with self._lock:
            return replace(self._stats, by_endpoint=dict(self._stats.by_endpoint))
