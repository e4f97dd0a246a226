"""Runs one job for the scheduler: records it in job_runs, classifies failures, applies backoff or
stops the job, feeds the metrics, and logs one line per run. Never lets an error escape into
APScheduler, so one failing job cannot take the others down."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler

from etl.errors import StopRequested, classify, describe
from etl.lock import SharedWriterLock
from etl.state import mark_interrupted_runs
from jobs.counts import JobCounts
from jobs.metrics import DaemonMetrics
from jobs.registry import JobContext, run_job
from jobs.runs import (
    STATUS_INTERRUPTED,
    STATUS_OK,
    STATUS_RUNNING,
    STATUS_TERMINAL,
    STATUS_TRANSIENT,
    JobRunRow,
    load_job_runs,
    record_finish,
    record_next_run,
    record_start,
)
from jobs.schedule import EXPORT_KINDS, JobSpec, backoff_next_run
from jobs.status import describe_job, health_report

log = logging.getLogger("jobs")


class JobRunner:
    def __init__(self, specs: list[JobSpec], ctx: JobContext) -> None:
        self.specs = {spec.job_id: spec for spec in specs}
        self.ctx = ctx
        self.metrics = DaemonMetrics(lag_source=self.lags)
        self.started_at = datetime.now(UTC)
        self.scheduler: BaseScheduler | None = None
        with ctx.engine.connect() as conn:
            known = load_job_runs(conn)
        self.rows = {i: known.get(i) or JobRunRow(job_id=i) for i in self.specs}
        self._active = 0
        self._idle = threading.Condition()
        database = ctx.settings.database
        self.writer_lock = SharedWriterLock(
            database.url, database.lock_wait, on_acquire=self._mark_interrupted_runs
        )
        for job_id, row in self.rows.items():
            self.metrics.declare_job(job_id)
            if row.last_success_at:
                self.metrics.last_success.labels(job_id).set(row.last_success_at.timestamp())
            if row.last_status == STATUS_RUNNING:
                log.warning("job %s did not finish under the previous daemon; it resumes", job_id)

    # --- the scheduler's job function --------------------------------------------------------

    def run(self, job_id: str) -> None:
        if self.ctx.stop_event.is_set():
            return  # queued behind another job when the stop came: start nothing new
        with self._idle:
            self._active += 1
        try:
            self._run(self.specs[job_id])
        except Exception:
            log.exception("job %s: bookkeeping failed", job_id)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _run(self, spec: JobSpec) -> None:
        started = datetime.now(UTC)
        record_start(self.ctx.engine, spec.job_id, started)
        self.rows[spec.job_id] = replace(
            self.rows[spec.job_id], last_started_at=started, last_status=STATUS_RUNNING
        )
        clock = time.monotonic()
        counts = JobCounts()
        try:
            counts = self._run_locked(spec)
            status, error = recorded_outcome(counts)
        except StopRequested:  # stopped while waiting for the writer lock
            status, error = STATUS_INTERRUPTED, None
        except Exception as exc:
            status = STATUS_TERMINAL if classify(exc) == "terminal" else STATUS_TRANSIENT
            error = describe(exc, self.ctx.engine.url)  # one line: never SQL or its parameters
            log.debug("job %s raised", spec.job_id, exc_info=True)
        if status == STATUS_OK and self.ctx.stop_event.is_set():
            status = STATUS_INTERRUPTED
        duration = time.monotonic() - clock
        previous = self.rows[spec.job_id]
        next_run = self._reschedule(spec, status, previous.consecutive_failures + 1)
        row = record_finish(
            self.ctx.engine,
            previous,
            status=status,
            error=error,
            duration_s=duration,
            counts=counts,
            next_run_at=next_run,
        )
        self.rows[spec.job_id] = row
        self._observe(spec.job_id, row, duration, counts)
        _log_run(row, duration, counts, next_run)

    def _run_locked(self, spec: JobSpec) -> JobCounts:
        """The job under the database's writer lock, which a `rcetl sync` by hand also takes:
        it waits up to database.lock_wait for such a command, then fails (transient: backoff).
        The daemon's own jobs share the lock (the export may overlap a sync, as designed)."""
        with self.writer_lock.hold(f"rcetl daemon job {spec.job_id}", self.ctx.stop_event):
            return run_job(spec, self.ctx)

    def _mark_interrupted_runs(self) -> None:
        if interrupted := mark_interrupted_runs(self.ctx.engine):
            log.warning("%d sync run(s) had been killed; marked interrupted", interrupted)

    def _reschedule(self, spec: JobSpec, status: str, failures: int) -> datetime | None:
        """The job's next run: as scheduled, later (transient failure: backoff), or never
        (terminal failure: the job is paused until the daemon restarts)."""
        scheduler = self.scheduler
        if scheduler is None or self.ctx.stop_event.is_set():
            return None
        if status == STATUS_TERMINAL:
            scheduler.pause_job(spec.job_id)
            return None
        if status == STATUS_TRANSIENT:
            cap = self.ctx.settings.daemon.backoff_max
            later = backoff_next_run(spec.trigger, datetime.now(UTC), failures, cap)
            scheduler.modify_job(spec.job_id, next_run_time=later)
            return later
        job = scheduler.get_job(spec.job_id)
        return job.next_run_time if job else None

    def _observe(self, job_id: str, row: JobRunRow, duration: float, counts: JobCounts) -> None:
        self.metrics.observe_run(job_id, row.last_status or "", duration, counts)
        if row.last_status in (STATUS_TRANSIENT, STATUS_TERMINAL):
            self.metrics.failures.labels(job_id, row.last_status).inc()
        if row.last_success_at:
            self.metrics.last_success.labels(job_id).set(row.last_success_at.timestamp())
        self.metrics.consecutive_failures.labels(job_id).set(row.consecutive_failures)
        self.metrics.paused.labels(job_id).set(1 if row.last_status == STATUS_TERMINAL else 0)

    # --- views for the daemon, /healthz and /metrics ----------------------------------------

    def record_next_runs(self) -> None:
        assert self.scheduler is not None
        for job_id in self.specs:
            job = self.scheduler.get_job(job_id)
            next_run = job.next_run_time if job else None
            self.rows[job_id] = replace(self.rows[job_id], next_run_at=next_run)
            record_next_run(self.ctx.engine, job_id, next_run)

    def forget_next_runs(self) -> None:
        """On shutdown: nothing is scheduled any more (status shows no next run)."""
        for job_id in self.specs:
            record_next_run(self.ctx.engine, job_id, None)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs; False if one is still running after `timeout` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    def health(self) -> tuple[bool, dict[str, Any]]:
        now = datetime.now(UTC)
        jobs = [
            describe_job(spec, self.rows[i], i, self.ctx.settings, now, since=self.started_at)
            for i, spec in self.specs.items()
        ]
        return health_report(jobs)

    def lags(self) -> tuple[dict[str, float], dict[str, float]]:
        now = datetime.now(UTC)
        by_job: dict[str, float] = {}
        by_resource: dict[str, float] = {}
        for job_id, spec in self.specs.items():
            if not spec.enabled:
                continue
            last = self.rows[job_id].last_success_at or self.started_at
            lag = max(0.0, (now - last).total_seconds())
            by_job[job_id] = lag
            if spec.kind in EXPORT_KINDS:
                continue
            for resource in spec.resources or self.ctx.settings.sync.resources:
                by_resource[resource] = min(lag, by_resource.get(resource, lag))
        return by_resource, by_job


def recorded_outcome(counts: JobCounts) -> tuple[str, str | None]:
    """The status of a run that returned: a sync records per-resource and per-room failures
    with their classification instead of raising, so a terminal one (a permission or endpoint the
    job needs, a bug) stops the job like a raised terminal error; transient ones back off."""
    errors = counts.errors
    error = "; ".join(errors[:5]) or None
    classification = counts.classification or ("transient" if errors else None)
    if classification == "terminal":
        return STATUS_TERMINAL, error
    if classification == "transient":
        return STATUS_TRANSIENT, error
    return STATUS_OK, None


def _log_run(row: JobRunRow, duration: float, counts: JobCounts, next_run: datetime | None) -> None:
    extra = {
        "job": row.job_id,
        "status": row.last_status,
        "duration_s": round(duration, 3),
        "counts": counts.as_json(),
        "next_run_at": next_run.isoformat() if next_run else None,
    }
    text = _counts_text(counts)
    if row.last_status == STATUS_TERMINAL:
        log.error(
            "job %s STOPPED after %.2fs by a terminal error: %s. The other jobs keep running; "
            "fix the cause and restart the daemon.",
            row.job_id,
            duration,
            row.last_error,
            extra=extra,
        )
    elif row.last_status == STATUS_TRANSIENT:
        log.warning(
            "job %s failed after %.2fs (transient, %d in a row): %s; %s; next try %s",
            row.job_id,
            duration,
            row.consecutive_failures,
            row.last_error,
            text,
            extra["next_run_at"],
            extra=extra,
        )
    else:
        log.info("job %s %s in %.2fs: %s", row.job_id, row.last_status, duration, text, extra=extra)


def _counts_text(counts: JobCounts) -> str:
    parts = []
    for resource, actions in sorted(counts.rows.items()):
        changed = ", ".join(f"{n} {action}" for action, n in actions.items() if n)
        if changed:
            parts.append(f"{resource} {changed}")
    rows = "; ".join(parts) or "no changes"
    return (
        f"{rows}; {counts.requests} requests, {counts.retries} retries, "
        f"{counts.rate_limit_waits} rate-limit waits"
    )
