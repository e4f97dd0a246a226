"""A sync job's run that returns with recorded failures: a terminal one (a route or permission the
job needs) stops the job, transient ones back off, skipped resources are fine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from etl.simulator import SimServer
from tests.daemon._in_process import in_process_runner

JOB = "roles_emoji"


@pytest.fixture
def run_once(
    sim_server: Callable[..., SimServer], tmp_path: Path
) -> Iterator[Callable[[str], tuple[str, str | None, bool]]]:
    """Runs the job once against a server with `faults`: (status, error, still scheduled)."""
    cleanup: list[Callable[[], None]] = []

    def run(faults: str) -> tuple[str, str | None, bool]:
        server = sim_server(faults=faults)
        n = len(cleanup)
        schedules = {JOB: {"interval": 3600, "resources": ["roles", "custom_emoji", "settings"]}}
        values = {
            "database": {"url": f"sqlite:///{tmp_path / f'rc-{n}.db'}"},
            "schedules": schedules,
        }
        runner, steps = in_process_runner(server, tmp_path / f"rcetl-{n}.yaml", values)
        cleanup.extend(steps)
        runner.run(JOB)
        row = runner.rows[JOB]
        assert runner.scheduler is not None
        job = runner.scheduler.get_job(JOB)
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
