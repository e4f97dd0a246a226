"""What a sync run did: per-resource counts, request figures, unreadable rooms, failures."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from etl.errors import Classification, classify
from etl.view_limits import HIDDEN_WITHOUT


@dataclass
class ResourceCounts:
    upserted: int = 0
    deleted: int = 0
    quarantined: int = 0
    requests: int = 0
    rooms_walked: int = 0
    future_dated: int = 0  # documents dated after the server's time: kept, watermark held


@dataclass(frozen=True)
class Failure:
    """One problem the engine recorded without stopping the run. `scope` is a resource
    ("users") or a walk ("room <id>", "threads <id>"). `expected` marks a resource the token may
    not read at all (skipped), which needs no fix."""

    scope: str
    message: str
    classification: Classification
    expected: bool = False

    @classmethod
    def of(cls, scope: str, exc: BaseException, expected: bool = False) -> Failure:
        return cls(scope, f"{type(exc).__name__}: {exc}", classify(exc), expected)


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
    errors: list[str] = field(default_factory=list)  # the unexpected failures, as text
    failures: list[Failure] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # resource -> missing permission
    reconciled: list[str] = field(default_factory=list)
    # permissions the token lacks to list everything -> what that hides (the run stays `ok`)
    view_limits: dict[str, str] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)  # file downloads by outcome
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def counts(self, resource: str) -> ResourceCounts:
        with self._lock:
            return self.resources.setdefault(resource, ResourceCounts())

    def add(self, resource: str, **deltas: int) -> None:
        counts = self.counts(resource)
        with self._lock:
            for name, value in deltas.items():
                setattr(counts, name, getattr(counts, name) + value)

    def count_file(self, status: str) -> None:
        """A file download's outcome (etl.files: stored, skipped, forbidden, missing, ...)."""
        with self._lock:
            self.files[status] = self.files.get(status, 0) + 1

    def fail(self, scope: str, exc: BaseException) -> Failure:
        """Record a resource or walk that failed while the rest of the run went on."""
        failure = Failure.of(scope, exc)
        with self._lock:
            self.failures.append(failure)
            self.errors.append(f"{scope}: {exc}")
        return failure

    def skip(self, resource: str, exc: BaseException) -> None:
        """A resource the token may not read at all: reported, not a failure of the run."""
        with self._lock:
            self.failures.append(Failure.of(resource, exc, expected=True))
            self.skipped[resource] = str(exc)

    def limit_view(self, permission: str) -> None:
        """A listing was refused for want of `permission`: the run sees only part of the server."""
        with self._lock:
            self.view_limits[permission] = HIDDEN_WITHOUT.get(permission, "what only it lists")

    @property
    def classification(self) -> Classification | None:
        """ "terminal" if any unexpected failure needs a fix (bad credentials, a permission or
        endpoint the run needs, a bug), else "transient" if any may pass by itself, else None.
        Unreadable rooms and skipped resources do not count."""
        found = {f.classification for f in self.failures if not f.expected}
        if "terminal" in found:
            return "terminal"
        return "transient" if found else None

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
            "failures": [asdict(failure) for failure in self.failures],
            "classification": self.classification,
            "skipped": dict(self.skipped),
            "reconciled": list(self.reconciled),
            "view_limits": dict(sorted(self.view_limits.items())),
            "files": dict(sorted(self.files.items())),
        }
