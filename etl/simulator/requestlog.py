"""A thread-safe record of the requests a simulator answered, for tests that count calls."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    endpoint: str  # "chat.syncMessages", "info", "_sim/post_message"
    status: int  # 0 when the connection was dropped before any answer
    fault: str | None


class RequestLog:
    def __init__(self, keep: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[tuple[str, int]] = Counter()
        self._recent: deque[LoggedRequest] = deque(maxlen=keep)

    def record(self, method: str, endpoint: str, status: int, fault: str | None = None) -> None:
        with self._lock:
            self._counts[endpoint] += 1
            self._statuses[(endpoint, status)] += 1
            self._recent.append(LoggedRequest(method, endpoint, status, fault))

    def count(self, endpoint: str | None = None, status: int | None = None) -> int:
        with self._lock:
            if endpoint is None:
                if status is None:
                    return sum(self._counts.values())
                return sum(n for (_, s), n in self._statuses.items() if s == status)
            if status is None:
                return self._counts[endpoint]
            return self._statuses[(endpoint, status)]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._recent)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._statuses.clear()
            self._recent.clear()

    def __len__(self) -> int:
        return self.count()
