"""A JobRunner with a real (paused) APScheduler in the test's process, for one config file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from apscheduler.schedulers.background import BackgroundScheduler

from etl.config import load_settings
from etl.db import open_database
from etl.simulator import SimServer
from jobs.registry import JobContext
from jobs.runner import JobRunner
from jobs.schedule import build_job_specs
from tests.sync.helpers import make_client


def in_process_runner(
    server: SimServer, config: Path, values: dict[str, Any]
) -> tuple[JobRunner, list[Callable[[], None]]]:
    """Writes `values` (plus the server URL) to `config`; returns the runner and its cleanup steps
    (run them in reverse order)."""
    config.write_text(yaml.safe_dump({"server": {"url": server.url}, **values}), encoding="utf-8")
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
    return runner, [engine.dispose, client.close, scheduler.shutdown]
