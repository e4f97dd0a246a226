"""The `job_runs` table: one row per job id with the outcome of its last run.

`last_status` is one of: running, ok, transient (failed, will be retried with backoff),
terminal (failed, job paused until someone fixes the cause and restarts the daemon), interrupted
(stopped by a shutdown; the next start resumes from the sync checkpoints).
`last_counts` holds the last run's counts (`JobCounts` as JSON); `last_success_at` is kept across
failures, so the lag survives a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from etl.load.upsert import upsert
from etl.schema.bookkeeping import JobRun
from jobs.counts import JobCounts

JOB_RUNS = JobRun.__table__

STATUS_RUNNING = "running"
STATUS_OK = "ok"
STATUS_TRANSIENT = "transient"
STATUS_TERMINAL = "terminal"
STATUS_INTERRUPTED = "interrupted"
FAILED_STATUSES = (STATUS_TRANSIENT, STATUS_TERMINAL)


@dataclass
class JobRunRow:
    job_id: str
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    next_run_at: datetime | None = None
    last_duration_s: float | None = None
    last_counts: JobCounts | None = None
    last_success_at: datetime | None = None


def load_job_runs(conn: Connection) -> dict[str, JobRunRow]:
    rows = conn.execute(select(JOB_RUNS)).mappings()
    return {row["job_id"]: _row(dict(row)) for row in rows}


def _row(values: dict[str, Any]) -> JobRunRow:
    counts = values.pop("last_counts")
    return JobRunRow(**values, last_counts=JobCounts.from_json(counts) if counts else None)


def _upsert(engine: Engine, job_id: str, values: dict[str, Any]) -> None:
    with engine.begin() as conn:
        upsert(conn, JobRun.__tablename__, [{"job_id": job_id, **values}], key_columns=("job_id",))


def record_start(engine: Engine, job_id: str, started_at: datetime) -> None:
    _upsert(engine, job_id, {"last_started_at": started_at, "last_status": STATUS_RUNNING})


def record_next_run(engine: Engine, job_id: str, next_run_at: datetime | None) -> None:
    _upsert(engine, job_id, {"next_run_at": next_run_at})


def record_finish(
    engine: Engine,
    previous: JobRunRow,
    *,
    status: str,
    error: str | None,
    duration_s: float,
    counts: JobCounts,
    next_run_at: datetime | None,
) -> JobRunRow:
    """Write the outcome of one run and return the new row."""
    now = datetime.now(UTC)
    last_success = now if status == STATUS_OK else previous.last_success_at
    failures = previous.consecutive_failures + 1 if status in FAILED_STATUSES else 0
    if status == STATUS_INTERRUPTED:
        failures = previous.consecutive_failures
    row = JobRunRow(
        job_id=previous.job_id,
        last_started_at=previous.last_started_at,
        last_finished_at=now,
        last_status=status,
        last_error=error,
        consecutive_failures=failures,
        next_run_at=next_run_at,
        last_duration_s=round(duration_s, 3),
        last_counts=counts,
        last_success_at=last_success,
    )
    values = {k: v for k, v in row.__dict__.items() if k not in ("job_id", "last_started_at")}
    _upsert(engine, row.job_id, {**values, "last_counts": counts.as_json()})
    return row
