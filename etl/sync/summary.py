"""What a sync run did: per-resource counts, request figures, unreadable rooms, errors."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ResourceCounts:
    upserted: int = 0
    deleted: int = 0
    quarantined: int = 0
    requests: int = 0
    rooms_walked: int = 0


@dataclass
class SyncSummary:
    run_id: int | None = None
    kind: str = "sync"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    status: str = "running"
    resources: dict[str, ResourceCounts] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    unreadable_rooms: dict[str, str] = field(default_factory=dict)  # room id -> reason
    errors: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # resource -> missing permission
    reconciled: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def counts(self, resource: str) -> ResourceCounts:
        with self._lock:
            return self.resources.setdefault(resource, ResourceCounts())

    def add(self, resource: str, **deltas: int) -> None:
        counts = self.counts(resource)
        with self._lock:
            for name, value in deltas.items():
                setattr(counts, name, getattr(counts, name) + value)

    def error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    @property
    def ok(self) -> bool:
        return not self.errors and self.status in ("ok", "running")

    def total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.resources.values())

    def as_record(self) -> dict[str, Any]:
        """The run-log form (`sync_runs`) and the `--json` form."""
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "counts": {name: asdict(counts) for name, counts in self.resources.items()},
            "requests": self.requests,
            "retries": self.retries,
            "rate_limit_waits": self.rate_limit_waits,
            "rate_limit_wait_seconds": round(self.rate_limit_wait_seconds, 3),
            "unreadable_rooms": dict(self.unreadable_rooms),
            "errors": list(self.errors),
            "skipped": dict(self.skipped),
            "reconciled": list(self.reconciled),
        }
