"""A sync job's run that returns with recorded failures: a terminal one (a route or permission the
job needs) stops the job, transient ones back off, skipped resources are fine."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from apscheduler.schedulers.background import BackgroundScheduler

from etl.config import load_settings
from etl.db import open_database
from etl.simulator import SimServer
from jobs.registry import JobContext
from jobs.runner import JobRunner
from jobs.schedule import build_job_specs
from tests.sync.helpers import make_client

JOB = "roles_emoji"


@pytest.fixture
def run_once(
    sim_server: Callable[..., SimServer], tmp_path: Path
) -> Iterator[Callable[[str], tuple[str, str | None, bool]]]:
    """Runs the job once against a server with `faults`: (status, error, still scheduled)."""
    cleanup: list[Callable[[], None]] = []

    def run(faults: str) -> tuple[str, str | None, bool]:
        server = sim_server(faults=faults)
        config = tmp_path / f"rcetl-{len(cleanup)}.yaml"
        db = tmp_path / f"rc-{len(cleanup)}.db"
        schedules = {JOB: {"interval": 3600, "resources": ["roles", "custom_emoji", "settings"]}}
        config.write_text(
            yaml.safe_dump(
                {
                    "server": {"url": server.url},
                    "database": {"url": f"sqlite:///{db}"},
                    "schedules": schedules,
                }
            ),
            encoding="utf-8",
        )
        settings = load_settings(config, {}, environ={})
        engine = open_database(settings.database.url)
        client = make_client(server.url, server.ws.credentials["admin"])
        specs = build_job_specs(settings)
        runner = JobRunner(specs, JobContext(settings, client, engine, threading.Event()))
        scheduler = BackgroundScheduler()
        for spec in specs:
            scheduler.add_job(runner.run, spec.trigger, args=[spec.job_id], id=spec.job_id)
        scheduler.start(paused=True)
        runner.scheduler = scheduler
        cleanup.extend([engine.dispose, client.close, scheduler.shutdown])
        runner.run(JOB)
        row = runner.rows[JOB]
        job = scheduler.get_job(JOB)
        return row.last_status or "", row.last_error, job.next_run_time is not None

    yield run
    for step in reversed(cleanup):
        step()


def test_a_terminal_failure_on_one_resource_stops_the_job(run_once) -> None:
    status, error, scheduled = run_once("404=1@roles.sync")
    assert status == "terminal" and not scheduled
    assert error and error.startswith("roles:") and "404" in error


def test_transient_failures_back_off_and_skipped_resources_are_fine(run_once) -> None:
    status, error, scheduled = run_once("5xx=1@emoji-custom.all|emoji-custom.list")
    assert status == "transient" and scheduled and error and "custom_emoji" in error
    status, error, scheduled = run_once("403=1@roles.sync")
    assert (status, error, scheduled) == ("ok", None, True)
