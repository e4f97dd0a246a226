"""`rcetl daemon`: the scheduler, the lock, the signals and the run loop.

APScheduler 3.x settings, chosen on purpose:
- `max_instances=1`: a job never overlaps itself (a 5-minute sync that takes 6 minutes is not
  started twice; the scheduler logs the skipped start and the run after it catches up).
- `coalesce=True`: runs missed while the process was busy or suspended collapse into one run; the
  sync is incremental, so one late run does the work of all the missed ones.
- `misfire_grace_time=None`: a late run is never dropped, however late. The only reason a run is
  late is that the writer thread was busy (e.g. a long reconcile) or the machine slept; dropping
  the run would leave the database a whole interval further behind for no gain.
- Stable job ids (= the config keys) with `replace_existing=True`, so status, metrics and job_runs
  rows keep their names across restarts.
- Executors: one thread for every job that writes synced tables (so two of them never write the
  same tables at once; SQLite has a single writer anyway), one thread for the Parquet export, which
  only reads those tables. A per-table-group lock would allow more overlap but, on two cores against
  one database, would buy little and cost a deadlock-prone second mechanism.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from etl.client import RocketChatClient
from etl.config import Settings
from etl.db import open_database
from etl.errors import StopRequested
from etl.lock import Lock, acquire_lock, writer_lock
from etl.state import mark_interrupted_runs
from jobs.health import HealthServer
from jobs.registry import JobContext
from jobs.runner import JobRunner
from jobs.schedule import EXPORT_EXECUTOR, WRITER_EXECUTOR, JobSpec, build_job_specs
from jobs.signals import StopEvent, install_signal_handlers, log_received

log = logging.getLogger("jobs.daemon")

JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


# How often the daemon makes sure it still holds the database lock (a PostgreSQL session can end
# under it: server restart, pg_terminate_backend); losing it stops the daemon with an error.
LOCK_CHECK_SECONDS = 5.0


@dataclass
class DaemonResult:
    drained: bool  # False: a job was still running when the shutdown timeout ran out
    lock_lost: bool = False


def run_daemon(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    stop_event: threading.Event | None = None,
) -> DaemonResult:
    """Run until SIGTERM/SIGINT. Bad schedules and a second daemon fail before anything starts.

    `stop_event`: set by signal handlers the caller installed first thing (a SIGTERM while the
    daemon starts up then stops it cleanly instead of killing it); without one, they go in here.
    """
    if stop_event is None:
        stop_event = StopEvent()
        install_signal_handlers(stop_event)
    specs = build_job_specs(settings)
    url = settings.database.url
    lock = acquire_lock(url, "daemon", purpose="rcetl daemon")
    try:
        engine = _open_for_daemon(settings, stop_event)
        if engine is None:
            return DaemonResult(drained=True)
        client = RocketChatClient.from_settings(settings, environ or os.environ)
        try:
            runner = JobRunner(specs, JobContext(settings, client, engine, stop_event))
            return _serve(settings, specs, runner, lock)
        finally:
            client.close()
            engine.dispose()
    finally:
        lock.release()


def _open_for_daemon(settings: Settings, stop_event: threading.Event) -> Engine | None:
    """Upgrade the schema under the writer lock (a sync by hand may be writing); None when a
    stop came first."""
    url = settings.database.url
    wait = settings.database.lock_wait
    try:
        with writer_lock(url, purpose="rcetl daemon start-up", wait=wait, stop_event=stop_event):
            if stop_event.is_set():
                log_received(stop_event)
                return None
            engine = open_database(url)
            if interrupted := mark_interrupted_runs(engine):
                log.warning("%d sync run(s) had been killed; marked interrupted", interrupted)
            return engine
    except StopRequested:
        log_received(stop_event)
        log.info("stopped while starting up")
        return None


def _serve(settings: Settings, specs: list[JobSpec], runner: JobRunner, lock: Lock) -> DaemonResult:
    stop_event = runner.ctx.stop_event
    scheduler = _make_scheduler(specs, runner)
    runner.scheduler = scheduler
    health = _start_health(settings, runner)
    enabled = [spec for spec in specs if spec.enabled]
    log.info(
        "daemon started (pid %d): %s",
        os.getpid(),
        ", ".join(f"{spec.job_id} {spec.describe}" for spec in enabled),
        extra={"jobs": [spec.job_id for spec in enabled]},
    )
    scheduler.start()
    runner.record_next_runs()
    lock_lost = _wait_for_stop(stop_event, lock)
    timeout = settings.daemon.shutdown_timeout
    log.info("stopping: no new job starts; waiting up to %gs for the running one", timeout)
    scheduler.shutdown(wait=False)
    drained = runner.wait_idle(timeout)
    runner.forget_next_runs()
    if health is not None:
        health.stop()
    if drained:
        log.info("daemon stopped cleanly")
    else:
        log.warning(
            "a job was still running after %gs; exiting anyway (its last page was committed "
            "with its checkpoint, so the next start resumes from there)",
            timeout,
        )
    return DaemonResult(drained=drained, lock_lost=lock_lost)


def _wait_for_stop(stop_event: threading.Event, lock: Lock) -> bool:
    """Wait for SIGTERM/SIGINT; True if the database lock was lost instead."""
    next_check = time.monotonic() + LOCK_CHECK_SECONDS
    while not stop_event.wait(0.5):
        if time.monotonic() < next_check:
            continue
        if not lock.held():
            log.error("lost the one-daemon lock on the database; stopping so it can be restarted")
            stop_event.set()
            return True
        next_check = time.monotonic() + LOCK_CHECK_SECONDS
    log_received(stop_event)
    return False


def _make_scheduler(specs: list[JobSpec], runner: JobRunner) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        executors={
            WRITER_EXECUTOR: ThreadPoolExecutor(max_workers=1),
            EXPORT_EXECUTOR: ThreadPoolExecutor(max_workers=1),
        },
        job_defaults=JOB_DEFAULTS,
        timezone=UTC,
    )
    now = datetime.now(UTC)
    for spec in specs:
        if not spec.enabled:
            continue
        # Interval jobs run once right away (catch up after downtime); cron jobs wait their time.
        first = {"next_run_time": now} if isinstance(spec.trigger, IntervalTrigger) else {}
        scheduler.add_job(
            runner.run,
            trigger=spec.trigger,
            args=[spec.job_id],
            id=spec.job_id,
            name=spec.job_id,
            executor=spec.executor,
            replace_existing=True,
            **first,
        )
    return scheduler


def _start_health(settings: Settings, runner: JobRunner) -> HealthServer | None:
    port = settings.daemon.health_port
    if port is None:
        return None
    server = HealthServer(settings.daemon.health_host, port, runner.health, runner.metrics.render)
    server.start()
    return server
