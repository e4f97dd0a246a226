"""The daemon's rate-limit-waits metric, fed by a real job run against a rate-limited server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from etl.schema import metadata
from etl.simulator import SimServer
from tests.daemon._in_process import in_process_runner

JOB = "users"


def test_rate_limit_waits_reach_the_metric(
    sim_server: Callable[..., SimServer], tmp_path: Path
) -> None:
    # Two calls per endpoint per 0.5 s and no bypass for the admin: the paged user list (page
    # size 5, a few pages in the tiny workspace) must wait for the window at least once.
    server = sim_server(rate_limit=(2, 0.5), bypass_roles=())
    values = {
        "database": {"url": f"sqlite:///{tmp_path / 'rc.db'}"},
        "sync": {"page_size": 5},
        "schedules": {JOB: {"interval": 3600, "resources": ["users"]}},
    }
    runner, cleanup = in_process_runner(server, tmp_path / "rcetl.yaml", values)
    try:
        runner.run(JOB)
        runs = metadata.tables["sync_runs"]
        with runner.ctx.engine.connect() as conn:
            recorded = conn.execute(select(runs.c.status, runs.c.rate_limit_waits)).one()
    finally:
        for step in reversed(cleanup):
            step()

    assert runner.rows[JOB].last_status == "ok"
    assert recorded.status == "ok" and recorded.rate_limit_waits > 0
    waits = runner.metrics.registry.get_sample_value("rcetl_rate_limit_waits_total", {"job": JOB})
    assert waits == recorded.rate_limit_waits
    line = f'rcetl_rate_limit_waits_total{{job="{JOB}"}} {float(waits)}'
    assert line in runner.metrics.render().decode().splitlines()
