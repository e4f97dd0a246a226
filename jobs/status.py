"""Each job's last run, next run, result and lag, and whether it is healthy: read by `rcetl status`
(from the database, daemon running or not) and by the daemon's /healthz."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from etl.config import Settings
from jobs.runs import STATUS_TERMINAL, STATUS_TRANSIENT, JobRunRow, load_job_runs
from jobs.schedule import JobSpec, ScheduleError, build_job_specs, period_seconds


def job_problems(
    spec: JobSpec | None,
    row: JobRunRow | None,
    settings: Settings,
    now: datetime,
    since: datetime | None = None,
) -> list[str]:
    """Why this job is unhealthy (empty: healthy). `since` is the daemon's start, used as the last
    success of a job that never succeeded; without it such a job is not judged on lag."""
    if spec is None or not spec.enabled or row is None:
        return []
    problems = []
    if row.last_status == STATUS_TERMINAL:
        problems.append(f"stopped by a terminal error: {row.last_error}")
    failures = row.consecutive_failures
    threshold = settings.daemon.unhealthy_after_failures
    if row.last_status == STATUS_TRANSIENT and failures >= threshold:
        problems.append(f"failed {failures} times in a row, last: {row.last_error}")
    lag = lag_seconds(row, now, since)
    allowed = period_seconds(spec.trigger, now) + settings.daemon.lag_threshold
    if lag is not None and lag > allowed:
        problems.append(f"lagging: last success {lag:.0f}s ago (allowed {allowed:.0f}s)")
    return problems


def lag_seconds(row: JobRunRow | None, now: datetime, since: datetime | None) -> float | None:
    last = (row.last_success_at if row else None) or since
    return max(0.0, (now - last).total_seconds()) if last else None


def describe_jobs(
    engine: Engine, settings: Settings, now: datetime | None = None
) -> list[dict[str, Any]]:
    """One dict per job: configured jobs first (in config order), then jobs only the table knows."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        rows = load_job_runs(conn)
    try:
        specs = {spec.job_id: spec for spec in build_job_specs(settings)}
    except ScheduleError:
        specs = {}  # status must still show what ran; `rcetl daemon` reports the bad schedule
    ids = list(specs) + sorted(set(rows) - set(specs))
    return [describe_job(specs.get(i), rows.get(i), i, settings, now) for i in ids]


def describe_job(
    spec: JobSpec | None,
    row: JobRunRow | None,
    job_id: str,
    settings: Settings,
    now: datetime,
    since: datetime | None = None,
) -> dict[str, Any]:
    problems = job_problems(spec, row, settings, now, since)
    lag = lag_seconds(row, now, since)
    return {
        "job": job_id,
        "kind": spec.kind if spec else None,
        "schedule": (spec.describe if spec.enabled else "disabled") if spec else "not configured",
        "resources": list(spec.resources) if spec and spec.resources else None,
        "last_started_at": _iso(row.last_started_at if row else None),
        "last_finished_at": _iso(row.last_finished_at if row else None),
        "result": row.last_status if row else "never run",
        "error": row.last_error if row else None,
        "consecutive_failures": row.consecutive_failures if row else 0,
        "next_run_at": _iso(row.next_run_at if row and spec and spec.enabled else None),
        "duration_s": row.last_duration_s if row else None,
        "last_success_at": _iso(row.last_success_at if row else None),
        "lag_s": round(lag, 1) if lag is not None else None,
        "counts": row.last_counts.as_json() if row and row.last_counts else {},
        "healthy": not problems,
        "problems": problems,
    }


def health_report(jobs: Sequence[Mapping[str, Any]]) -> tuple[bool, dict[str, Any]]:
    problems = [f"{job['job']}: {problem}" for job in jobs for problem in job["problems"]]
    body = {"status": "failing" if problems else "ok", "problems": problems, "jobs": list(jobs)}
    return not problems, body


def render_jobs(jobs: list[Mapping[str, Any]], console: Console) -> None:
    """The daemon's jobs as a table (`rcetl status`); the problem column takes what is left."""
    if not jobs:
        console.print("Daemon jobs: none (invalid schedules? `rcetl daemon` names the problem).")
        return
    rows = [_job_cells(job) for job in jobs]
    headers = ("job", "schedule", "last run (UTC)", "result", "next run (UTC)", "lag")
    table = Table(title="Daemon jobs")
    for i, header in enumerate(headers):
        width = max(len(header), *(len(row[i]) for row in rows))
        table.add_column(header, no_wrap=True, min_width=width)
    table.add_column("problem", overflow="fold", ratio=1)
    for job, cells in zip(jobs, rows, strict=True):
        table.add_row(*cells, style=None if job["healthy"] else "red")
    console.print(table)


def _job_cells(job: Mapping[str, Any]) -> tuple[str, ...]:
    result = job["result"] or "-"
    if job["consecutive_failures"]:
        result += f" x{job['consecutive_failures']}"
    return (
        job["job"],
        job["schedule"],
        _short(job["last_finished_at"] or job["last_started_at"]),
        result,
        _short(job["next_run_at"]),
        f"{job['lag_s']:.0f}s" if job["lag_s"] is not None else "-",
        "; ".join(job["problems"]) or (job["error"] or ""),
    )


def _short(iso: str | None) -> str:
    return iso[5:19].replace("T", " ") if iso else "-"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
