"""What one job run did, in one typed shape for every kind of job.

The runner logs it, the metrics count it, `job_runs.last_counts` keeps it as JSON (`as_json`), and
`rcetl status` shows it. Fields a kind of job does not have stay None and are left out of the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

Classification = Literal["transient", "terminal"]

# Kind-specific fields: left out of the JSON when None.
_OPTIONAL = (
    "run_id",
    "unreadable_rooms",
    "feed_run",
    "files",
    "change_seq",
    "tables",
    "pages_written",
)


@dataclass
class JobCounts:
    # resource (or `export.<table>`, `iceberg.<table>`) -> action -> rows
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    # Problems a sync recorded without raising (it finished the other resources), and how the
    # runner treats them: "terminal", "transient", or None.
    errors: list[str] = field(default_factory=list)
    classification: Classification | None = None
    run_id: int | None = None  # sync, reconcile: the sync_runs row
    unreadable_rooms: int | None = None  # sync, reconcile
    feed_run: int | None = None  # export: the feed's run number (None: nothing changed)
    files: int | None = None  # export
    change_seq: int | None = None  # iceberg
    tables: int | None = None  # iceberg
    pages_written: int | None = None  # html

    def as_json(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in values.items() if k not in _OPTIONAL or v is not None}

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> JobCounts:
        """From `job_runs.last_counts`; keys it does not know (older rows) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (value or {}).items() if k in known})
