"""Schedules are data: config → validated jobs, defaults, clear errors at start, backoff."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from etl.config import Settings
from jobs.schedule import ScheduleError, backoff_next_run, build_job_specs
from tests.daemon.conftest import RCETL


def test_defaults_when_the_config_has_no_schedules() -> None:
    specs = {spec.job_id: spec for spec in build_job_specs(Settings())}
    assert set(specs) == {"rooms_messages", "users_small_tables", "reconcile", "export"}
    rooms = specs["rooms_messages"]
    assert rooms.kind == "sync" and {"rooms", "messages"} <= set(rooms.resources or ())
    assert rooms.trigger.interval == timedelta(minutes=5)
    assert specs["users_small_tables"].trigger.interval == timedelta(hours=1)
    assert "users" in (specs["users_small_tables"].resources or ())
    assert specs["reconcile"].kind == "reconcile"
    assert isinstance(specs["reconcile"].trigger, CronTrigger)
    assert specs["export"].kind == "export" and specs["export"].executor == "export"
    assert rooms.executor == specs["reconcile"].executor == "writer"


def test_defaults_follow_the_configured_resources() -> None:
    settings = Settings.model_validate({"sync": {"resources": ["rooms", "messages"]}})
    specs = {spec.job_id: spec for spec in build_job_specs(settings)}
    assert "users_small_tables" not in specs
    assert specs["rooms_messages"].resources == ("rooms", "messages")


def test_job_ids_say_what_the_job_does() -> None:
    settings = Settings.model_validate(
        {
            "schedules": {
                "users": {"interval": "30s"},
                "sync_all": {"interval": "10m", "enabled": False},
                "chat": {"interval": 60, "resources": ["messages"]},
                "reconcile_weekly": {"cron": "0 3 * * 0"},
                "export_feed": {"cron": "15 4 * * *"},
            }
        }
    )
    specs = {spec.job_id: spec for spec in build_job_specs(settings)}
    assert (specs["users"].kind, specs["users"].resources) == ("sync", ("users",))
    assert (specs["sync_all"].kind, specs["sync_all"].resources) == ("sync", None)
    assert not specs["sync_all"].enabled
    assert (specs["chat"].kind, specs["chat"].resources) == ("sync", ("messages",))
    assert specs["reconcile_weekly"].kind == "reconcile"
    assert specs["export_feed"].kind == "export"


@pytest.mark.parametrize(
    ("schedules", "expected"),
    [
        ({"nightly": {"cron": "0 3 * * *"}}, "schedules.nightly: unknown job 'nightly'"),
        ({"export": {"cron": "61 * * * *"}}, "schedules.export.cron: invalid cron '61 * * * *'"),
        ({"export": {"cron": "0 0 31 2 *"}}, "schedules.export.cron: cron '0 0 31 2 *' never"),
        ({"export": {"interval": 5, "resources": ["users"]}}, "schedules.export: an export job"),
        ({"rooms": {"interval": 5, "enabled": False}}, "schedules: every job is disabled"),
    ],
)
def test_bad_schedules_are_named(schedules: dict, expected: str) -> None:
    with pytest.raises(ScheduleError, match="^" + re.escape(expected)):
        build_job_specs(Settings.model_validate({"schedules": schedules}))


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ({"cron": "0 25 * * *"}, "schedules.reconcile.cron: invalid cron '0 25 * * *'"),
        ({"interval": "5 minutes"}, "schedules.reconcile.interval"),
        ({"interval": 60, "cron": "* * * * *"}, "give exactly one of interval or cron"),
    ],
)
def test_daemon_refuses_to_start_on_a_bad_schedule(
    tmp_path: Path, schedule: dict, expected: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": f"sqlite:///{tmp_path / 'rc.db'}"},
                "schedules": {"reconcile": schedule},
            }
        )
    )
    result = subprocess.run(
        [str(RCETL), "--config", str(config), "daemon"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert not (tmp_path / "rc.db").exists(), "nothing may start before the schedules are valid"


def test_transient_backoff_skips_runs_exponentially_up_to_the_cap() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    trigger = IntervalTrigger(seconds=10, start_date=start, timezone=UTC)
    now = start + timedelta(seconds=1)
    waits = [
        (backoff_next_run(trigger, now, failures, cap_seconds=60) - start).total_seconds()
        for failures in range(1, 7)
    ]
    # next run, then skip 1, 3, 7 runs; the cap stops at 60s past the regular next run (10s).
    assert waits == [10, 20, 40, 70, 70, 70]
