"""When /healthz (and `rcetl status`) call a job unhealthy: terminal failure, repeated transient
failures, or no success for longer than its period plus `daemon.lag_threshold`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from etl.config import Settings
from jobs.runs import JobRunRow
from jobs.schedule import build_job_specs
from jobs.status import describe_job, health_report, job_problems

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = Settings.model_validate(
    {
        "schedules": {
            "rooms": {"interval": 60},
            "export": {"cron": "0 4 * * *"},
            "users": {"interval": 60, "enabled": False},
        },
        "daemon": {"lag_threshold": 30, "unhealthy_after_failures": 3},
    }
)
SPECS = {spec.job_id: spec for spec in build_job_specs(SETTINGS)}


def row(status: str, success_ago: float | None, failures: int = 0) -> JobRunRow:
    success = NOW - timedelta(seconds=success_ago) if success_ago else None
    return JobRunRow(
        job_id="rooms",
        last_status=status,
        last_error="boom" if status != "ok" else None,
        consecutive_failures=failures,
        last_success_at=success,
    )


def problems(job: str, run: JobRunRow | None, since: datetime | None = None) -> list[str]:
    return job_problems(SPECS[job], run, SETTINGS, NOW, since)


def test_a_job_lags_after_its_period_plus_the_threshold() -> None:
    assert problems("rooms", row("ok", 89)) == []
    assert problems("rooms", row("ok", 91)) == ["lagging: last success 91s ago (allowed 90s)"]
    # A nightly job is judged against a day, not against the 30 s threshold alone.
    assert problems("export", row("ok", 86400)) == []
    assert problems("export", row("ok", 86431))[0].startswith("lagging")


def test_a_job_that_never_succeeded_counts_from_the_daemon_start() -> None:
    never = row("transient", None, failures=1)
    assert problems("rooms", never) == []  # `rcetl status` without a daemon: no start to count from
    assert problems("rooms", never, since=NOW - timedelta(seconds=60)) == []
    assert problems("rooms", never, since=NOW - timedelta(seconds=120))[0].startswith("lagging")


def test_failures_make_a_job_unhealthy() -> None:
    assert problems("rooms", row("transient", 10, failures=2)) == []
    assert problems("rooms", row("transient", 10, failures=3)) == [
        "failed 3 times in a row, last: boom"
    ]
    assert problems("rooms", row("terminal", 10, failures=1)) == [
        "stopped by a terminal error: boom"
    ]
    assert problems("rooms", row("interrupted", 10)) == []


def test_disabled_jobs_are_never_unhealthy_and_the_report_names_the_job() -> None:
    assert problems("users", row("terminal", 10_000, failures=9)) == []
    jobs = [
        describe_job(SPECS["rooms"], row("terminal", 5, failures=1), "rooms", SETTINGS, NOW),
        describe_job(SPECS["export"], row("ok", 5), "export", SETTINGS, NOW),
    ]
    healthy, body = health_report(jobs)
    assert not healthy and body["status"] == "failing"
    assert body["problems"] == ["rooms: stopped by a terminal error: boom"]
    assert [job["healthy"] for job in body["jobs"]] == [False, True]
    assert jobs[1]["lag_s"] == 5.0 and jobs[1]["schedule"] == "cron '0 4 * * *' (UTC)"
    assert health_report(jobs[1:]) == (True, {"status": "ok", "problems": [], "jobs": jobs[1:]})
