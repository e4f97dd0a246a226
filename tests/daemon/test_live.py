"""`rcetl daemon` as a real process against a live simulator (in-process SimServer, real HTTP):
the database follows the server, stops and crashes lose nothing, revoked credentials stop only the
jobs that need them, and /healthz and /metrics answer as documented."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, func, select

from etl.config import load_settings
from etl.db import create_db_engine
from etl.export import verify_archive
from etl.schema import metadata
from etl.simulator import SimServer
from jobs.schedule import DEFAULT_SCHEDULES
from jobs.status import describe_jobs
from tests.daemon.conftest import RCETL, DaemonProcess, free_port
from tests.sync.helpers import assert_level_with_server, live_rows

# The live activity does not touch omnichannel: its resources (a dozen more requests per run)
# would only slow the 2 s job this test schedules, on a loaded machine past its time limits.
SMALL_TABLES = [
    name
    for name in DEFAULT_SCHEDULES["users_small_tables"].resources or []
    if not name.startswith("livechat_")
]


def daemon_settings(
    server: SimServer, db_url: str, out: Path, schedules: dict, **sections: Any
) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "server": {"url": server.url},
        "database": {"url": db_url},
        "export": {"out": str(out)},
        "schedules": schedules,
        "daemon": {"shutdown_timeout": 10},
    }
    for name, values in sections.items():
        settings[name] = {**settings.get(name, {}), **values}
    return settings


def token_env(server: SimServer) -> dict[str, str]:
    creds = server.ws.credentials["admin"]
    return {"RCETL_TOKEN": creds["token"], "RCETL_USER_ID": creds["user_id"]}


def started_at(run: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(run["ts"]) - timedelta(seconds=run["duration_s"])


def ok_run_started_after(job: str, moment: datetime) -> Callable[[DaemonProcess], bool]:
    def check(daemon: DaemonProcess) -> bool:
        return any(r["status"] == "ok" and started_at(r) > moment for r in daemon.runs(job))

    return check


def message_count(engine: Engine) -> int:
    messages = metadata.tables["messages"]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(messages)).scalar_one())


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def healthz(port: int) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    return answer.status_code, answer.json()


def test_database_follows_a_live_server(
    daemon_factory: Callable[..., DaemonProcess],
    sim_server: Callable[..., SimServer],
    tmp_path: Path,
) -> None:
    server = sim_server(activity_per_s=40.0)
    port = free_port()
    db_url = f"sqlite:///{tmp_path / 'rc.db'}"
    schedules = {
        "rooms_messages": {"interval": 1, "resources": ["rooms", "messages", "threads", "members"]},
        "users_small_tables": {"interval": 2, "resources": SMALL_TABLES},
        # Only a full pass finds `_hidden`-only deletions (KeepHistory on, ShowDeletedStatus off).
        "reconcile": {"interval": 3, "resources": ["messages"]},
        "export": {"interval": 2},
    }
    settings = daemon_settings(
        server, db_url, tmp_path / "feed", schedules, daemon={"health_port": port}
    )
    daemon = daemon_factory(settings, token_env(server))

    # Let the daemon run a few times while the server keeps changing, then stop the activity.
    daemon.wait_for(lambda d: sum(r["status"] == "ok" for r in d.runs("rooms_messages")) >= 3)
    assert server.activity is not None
    server.activity.stop()
    writes, quiet_since = server.activity.writes, datetime.now(UTC)
    assert writes > 20
    for job in ("rooms_messages", "users_small_tables", "reconcile"):
        daemon.wait_for(ok_run_started_after(job, quiet_since))

    engine = create_db_engine(db_url)
    assert_level_with_server(engine, server.ws, server.ws.credentials["admin"])

    # One log line per run, with counts and duration (JSON lines with --log-format json).
    runs = daemon.runs()
    assert {r["job"] for r in runs} == set(schedules)
    assert all(r["status"] == "ok" for r in runs), [r for r in runs if r["status"] != "ok"]
    # The reconcile job may run first and bring most messages; later runs pick up the activity.
    synced = daemon.runs("rooms_messages")
    assert any(r["counts"]["rows"].get("messages", {}).get("upserted") for r in synced)
    first = synced[0]
    assert first["counts"]["requests"] > 0 and "requests" in first["message"]
    assert any(r["counts"]["rows"] for r in daemon.runs("export")), "the feed exported rows"

    status, body = healthz(port)
    assert status == 200 and body["status"] == "ok" and body["problems"] == []
    # Jobs every 1-3 s are often mid-run when /healthz is read: "running" then, never a failure,
    # and each has succeeded before.
    results = {job["job"]: job["result"] for job in body["jobs"]}
    assert set(results) == set(schedules) and set(results.values()) <= {"ok", "running"}, results
    assert all(job["last_success_at"] for job in body["jobs"]), body["jobs"]

    metrics = scrape(port)
    stored = len(live_rows(engine, "messages"))
    upserted = metrics[
        ("rcetl_rows_synced_total", (("action", "upserted"), ("resource", "messages")))
    ]
    assert upserted >= stored > 0
    assert metrics[("rcetl_requests_total", (("job", "rooms_messages"),))] > 0
    assert metrics[("rcetl_job_duration_seconds_count", (("job", "rooms_messages"),))] >= 4
    assert 0 <= metrics[("rcetl_lag_seconds", (("resource", "messages"),))] < 60
    assert ("rcetl_lag_seconds", (("resource", "users"),)) in metrics
    assert (
        metrics[("rcetl_job_failures_total", (("classification", "terminal"), ("job", "export")))]
        == 0
    )
    last_success = metrics[("rcetl_job_last_success_timestamp_seconds", (("job", "export"),))]
    assert abs(last_success - time.time()) < 60
    assert httpx.get(f"http://127.0.0.1:{port}/nope", timeout=5).status_code == 404

    assert daemon.stop(signal.SIGINT) == 0
    assert "daemon stopped cleanly" in daemon.text()
    assert verify_archive(str(tmp_path / "feed")) == []  # once no export run is writing

    # `rcetl status` reads the jobs from the database once the daemon is gone.
    shown = subprocess.run(
        [str(RCETL), "--config", str(tmp_path / "daemon0.yaml"), "status"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert shown.returncode == 0, shown.stderr
    table = shown.stdout[shown.stdout.index("Daemon jobs") :]
    # A job mid-run when the stop came ends "interrupted" (by design: a stop waits for the page
    # in flight, not for the whole run); every job has succeeded before.
    for job, schedule in (("rooms_messages", "every 1s"), ("export", "every 2s")):
        row = rf"{job}\s+│ {schedule}\s+│ [\d-]+ [\d:]+\s+│ (ok|interrupted)\s+│ -"
        assert re.search(row, table), table
    jobs = {
        job["job"]: job for job in describe_jobs(engine, load_settings(tmp_path / "daemon0.yaml"))
    }
    assert set(jobs) == set(schedules)
    assert all(job["result"] in ("ok", "interrupted") and job["healthy"] for job in jobs.values())
    assert all(job["last_success_at"] for job in jobs.values()), jobs
    assert jobs["rooms_messages"]["next_run_at"] is None  # the daemon stopped: nothing scheduled
    assert jobs["rooms_messages"]["lag_s"] < 60
    assert jobs["export"]["kind"] == "export" and jobs["reconcile"]["resources"] == ["messages"]
    engine.dispose()


@pytest.mark.parametrize(
    ("stop_signal", "dialect"),
    [
        (signal.SIGTERM, "sqlite"),
        (signal.SIGKILL, "sqlite"),
        pytest.param(signal.SIGKILL, "postgresql", marks=pytest.mark.postgres),
    ],
    ids=["sigterm", "kill-9", "kill-9-postgres"],
)
def test_a_restart_after_a_stop_mid_sync_resumes(
    stop_signal: int,
    dialect: str,
    daemon_factory: Callable[..., DaemonProcess],
    sim_server: Callable[..., SimServer],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    # Slow message pages make the first sync last several seconds, so the stop lands mid-sync.
    server = sim_server(faults="slow=1.0@chat.syncMessages", slow_seconds=0.2)
    if dialect == "postgresql":
        db_url = request.getfixturevalue("pg_url")
    else:
        db_url = f"sqlite:///{tmp_path / 'rc.db'}"
    schedules = {"sync": {"interval": 1}}
    slow = daemon_settings(
        server,
        db_url,
        tmp_path / "feed",
        schedules,
        sync={"message_page_size": 50, "concurrency": 2},
    )
    engine = create_db_engine(db_url)
    expected = len(server.ws.ground_truth()["messages"])
    first = daemon_factory(slow, token_env(server))
    first.wait_for(lambda d: d.lines() and message_count(engine) > 0)

    clock = time.monotonic()
    code = first.stop(stop_signal)
    elapsed = time.monotonic() - clock
    partial = message_count(engine)
    assert 0 < partial < expected
    if stop_signal == signal.SIGTERM:
        assert code == 0 and elapsed < 10, (code, elapsed)
        assert [r["status"] for r in first.runs("sync")] == ["interrupted"]
        assert "daemon stopped cleanly" in first.text()
    else:
        assert code == -signal.SIGKILL and first.runs("sync") == []

    fast = daemon_settings(
        server, db_url, tmp_path / "feed", schedules, sync={"message_page_size": 1000}
    )
    second = daemon_factory(fast, token_env(server))
    second.wait_for(lambda d: any(r["status"] == "ok" for r in d.runs("sync")))
    assert_level_with_server(engine, server.ws, server.ws.credentials["admin"])
    resumed = second.runs("sync")[0]["counts"]["rows"]["messages"]["upserted"]
    assert resumed < expected, "the restart resumed from the checkpoints, it did not start over"
    if stop_signal == signal.SIGKILL:
        assert "did not finish under the previous daemon" in second.text()
    assert second.stop() == 0
    engine.dispose()


def test_revoked_credentials_stop_only_the_jobs_that_use_them(
    daemon_factory: Callable[..., DaemonProcess],
    sim_server: Callable[..., SimServer],
    tmp_path: Path,
) -> None:
    server = sim_server()
    port = free_port()
    db_url = f"sqlite:///{tmp_path / 'rc.db'}"
    schedules = {"rooms_messages": {"interval": 1, "resources": ["rooms", "messages"]}}
    schedules["export"] = {"interval": 1}
    settings = daemon_settings(
        server, db_url, tmp_path / "feed", schedules, daemon={"health_port": port}
    )
    env = token_env(server)
    daemon = daemon_factory(settings, env)
    daemon.wait_for(lambda d: any(r["status"] == "ok" for r in d.runs("rooms_messages")))

    # The token is revoked on the server (as a logout does): the next run gets 401.
    headers = {"X-Auth-Token": env["RCETL_TOKEN"], "X-User-Id": env["RCETL_USER_ID"]}
    assert httpx.post(f"{server.url}/api/v1/logout", headers=headers).status_code == 200
    revoked_at = datetime.now(UTC)
    failed = daemon.wait_for(
        lambda d: [r for r in d.runs("rooms_messages") if r["status"] == "terminal"]
    )
    assert isinstance(failed, list) and failed[0]["level"] == "error"
    assert "STOPPED" in failed[0]["message"] and "401" in failed[0]["message"]

    # The export keeps running after the failure; the stopped job does not run again.
    stopped_at = datetime.fromisoformat(failed[0]["ts"])
    daemon.wait_for(lambda d: sum(started_at(r) > stopped_at for r in d.runs("export")) >= 2)
    assert [r["status"] for r in daemon.runs("rooms_messages") if started_at(r) > revoked_at] == [
        "terminal"
    ]
    assert daemon.proc.poll() is None

    status, body = healthz(port)
    assert status == 503 and body["status"] == "failing"
    assert len(body["problems"]) == 1 and body["problems"][0].startswith("rooms_messages: stopped")
    metrics = scrape(port)
    assert metrics[("rcetl_job_paused", (("job", "rooms_messages"),))] == 1
    assert metrics[("rcetl_job_paused", (("job", "export"),))] == 0
    terminal = (
        "rcetl_job_failures_total",
        (("classification", "terminal"), ("job", "rooms_messages")),
    )
    assert metrics[terminal] == 1
    assert daemon.stop() == 0

    # The failure is recorded in job_runs, which `rcetl status` shows.
    engine = create_db_engine(db_url)
    jobs = {
        job["job"]: job for job in describe_jobs(engine, load_settings(tmp_path / "daemon0.yaml"))
    }
    engine.dispose()
    assert jobs["rooms_messages"]["result"] == "terminal" and not jobs["rooms_messages"]["healthy"]
    assert "AuthenticationError" in jobs["rooms_messages"]["error"]
    assert jobs["export"]["result"] == "ok" and jobs["export"]["healthy"]


def test_a_stop_is_bounded_even_when_a_request_hangs(
    daemon_factory: Callable[..., DaemonProcess],
    sim_server: Callable[..., SimServer],
    tmp_path: Path,
) -> None:
    # Every message page takes 8 s; the daemon may wait only 1 s for the running job.
    server = sim_server(faults="slow=1.0@chat.syncMessages", slow_seconds=8.0)
    settings = daemon_settings(
        server,
        f"sqlite:///{tmp_path / 'rc.db'}",
        tmp_path / "feed",
        {"sync": {"interval": 60}},
        daemon={"shutdown_timeout": 1},
    )
    daemon = daemon_factory(settings, token_env(server))
    daemon.wait_for(lambda d: any("room(s) to walk" in line["message"] for line in d.lines()))
    # The step sets up its first load (full-text triggers, indexes, versions) after that line
    # and before its first page: 2 s lets the pages leave even under load, well inside 8 s.
    time.sleep(2.0)
    clock = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - clock < 3.5  # the page in flight would take 8 s
    assert "still running after 1s; exiting anyway" in daemon.text()
