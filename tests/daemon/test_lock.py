"""Only one daemon per database: a second one is refused with the holder named; the lock dies with
its holder, even on `kill -9`. Real processes, real SQLite file, real PostgreSQL database."""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from etl.lock import acquire_lock
from tests.daemon.conftest import DaemonProcess

CREDENTIALS = {"RCETL_TOKEN": "not-used", "RCETL_USER_ID": "not-used"}


def _settings(database_url: str, server_url: str) -> dict[str, Any]:
    # Nothing listens on the server port (`refused_url`): the job fails (transient) and retries;
    # that is enough to keep a daemon alive and holding its lock.
    return {
        "server": {"url": server_url},
        "database": {"url": database_url},
        "sync": {"retries": {"max_attempts": 1}},
        "schedules": {"rooms": {"interval": 1}},
        "daemon": {"shutdown_timeout": 5},
    }


def _started(daemon: DaemonProcess) -> bool:
    return any(line.get("message", "").startswith("daemon started") for line in daemon.lines())


def _second_is_refused(
    start: Callable[..., DaemonProcess], database_url: str, refused_url: str
) -> None:
    first = start(_settings(database_url, refused_url), CREDENTIALS)
    first.wait_for(_started)
    second = start(_settings(database_url, refused_url), CREDENTIALS)
    assert second.proc.wait(30) == 6  # README "Exit codes": another rcetl holds the database
    refusal = second.text()
    assert "another rcetl daemon already runs" in refusal
    assert f"pid {first.proc.pid}" in refusal or f"pid={first.proc.pid}" in refusal
    assert socket.gethostname() in refusal
    assert first.proc.poll() is None, "the first daemon must keep running"
    _transient_failures_back_off(first)

    # kill -9: the kernel (SQLite flock) or the server (dropped session) releases the lock.
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(10)
    third = start(_settings(database_url, refused_url), CREDENTIALS)
    third.wait_for(_started)
    assert third.stop() == 0


def _transient_failures_back_off(daemon: DaemonProcess) -> None:
    """Connection refused is transient: logged, retried later, skipping runs exponentially."""
    runs = daemon.wait_for(lambda d: d.runs("rooms")[2:] and d.runs("rooms"))
    assert isinstance(runs, list)
    assert [run["status"] for run in runs[:3]] == ["transient"] * 3
    assert all(run["level"] == "warning" and "cannot reach" in run["message"] for run in runs)
    # Runs are placed on the trigger's 1 s grid: the 2nd failure skips 1 run, the 3rd skips 3.
    nexts = [datetime.fromisoformat(run["next_run_at"]) for run in runs[:3]]
    gaps = [(b - a).total_seconds() for a, b in pairwise(nexts)]
    assert gaps[0] >= 1.99 and gaps[1] >= 3.99 and gaps[1] > gaps[0], gaps


def test_second_daemon_on_the_same_sqlite_file_is_refused(
    daemon_factory: Callable[..., DaemonProcess], tmp_path: Path, refused_url: str
) -> None:
    _second_is_refused(daemon_factory, f"sqlite:///{tmp_path / 'rc.db'}", refused_url)


@pytest.mark.postgres
def test_second_daemon_on_the_same_postgres_database_is_refused(
    daemon_factory: Callable[..., DaemonProcess], pg_url: str, refused_url: str
) -> None:
    _second_is_refused(daemon_factory, pg_url, refused_url)


@pytest.mark.postgres
def test_a_daemon_that_loses_its_postgres_lock_stops_with_an_error(
    daemon_factory: Callable[..., DaemonProcess],
    pg_url: str,
    pg_admin: Engine,
    refused_url: str,
) -> None:
    daemon = daemon_factory(_settings(pg_url, refused_url), CREDENTIALS)
    daemon.wait_for(_started)
    # What a server restart or an operator's pg_terminate_backend does to the lock's session.
    name = f"rcetl-daemon pid={daemon.proc.pid} host={socket.gethostname()}"
    with pg_admin.connect() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND application_name LIKE :name"
            ),
            {"db": make_url(pg_url).database, "name": name + "%"},
        ).scalar()
    assert ended == 1
    assert daemon.proc.wait(30) == 1
    assert "lost the one-daemon lock on the database" in daemon.text()
    assert "error: the daemon lost its lock on the database" in daemon.text()


def test_a_second_daemon_reaching_the_file_through_a_symlink_is_refused(
    daemon_factory: Callable[..., DaemonProcess], tmp_path: Path, refused_url: str
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    first = daemon_factory(
        _settings(f"sqlite:///{tmp_path / 'real' / 'rc.db'}", refused_url), CREDENTIALS
    )
    first.wait_for(_started)
    second = daemon_factory(
        _settings(f"sqlite:///{tmp_path / 'link' / 'rc.db'}", refused_url), CREDENTIALS
    )
    assert second.proc.wait(30) == 6
    assert f"pid {first.proc.pid} on host" in second.text()
    assert first.stop() == 0


def _catches_sigterm(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(ln for ln in status.splitlines() if ln.startswith("SigCgt:")).split()[1], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def test_sigterm_while_the_daemon_starts_stops_it_cleanly(
    daemon_factory: Callable[..., DaemonProcess], tmp_path: Path, refused_url: str
) -> None:
    """Case 13: the handlers come first. The daemon is held in its start-up (waiting for the
    writer lock another process holds) and gets SIGTERM there: exit 0, nothing started."""
    url = f"sqlite:///{tmp_path / 'rc.db'}"
    held = acquire_lock(url, "writer", purpose="test holder")
    try:
        daemon = daemon_factory(_settings(url, refused_url), CREDENTIALS)
        deadline = time.monotonic() + 30
        while not _catches_sigterm(daemon.proc.pid):
            assert daemon.proc.poll() is None and time.monotonic() < deadline, daemon.text()
            time.sleep(0.01)
        assert daemon.stop() == 0, daemon.text()
    finally:
        held.release()
    assert not _started(daemon)
    assert daemon.runs() == []


def test_a_daemon_job_waits_for_a_writer_by_hand_then_backs_off(
    daemon_factory: Callable[..., DaemonProcess], tmp_path: Path, refused_url: str
) -> None:
    url = f"sqlite:///{tmp_path / 'rc.db'}"
    settings = _settings(url, refused_url) | {"database": {"url": url, "lock_wait": 1}}
    daemon = daemon_factory(settings, CREDENTIALS)
    daemon.wait_for(lambda d: d.runs("rooms"))  # started; its job fails (no server): transient
    # Like `rcetl sync --wait 60`: the daemon's own run may hold the lock at this moment (its runs
    # are slow when parallel workers share the cores), so the writer by hand waits for it.
    held = acquire_lock(url, "writer", purpose="rcetl sync by hand", wait=60)
    try:

        def busy_run(d: DaemonProcess) -> list[dict[str, Any]]:
            return [r for r in d.runs("rooms") if "DatabaseBusyError" in r["message"]]

        runs = daemon.wait_for(busy_run, timeout=60)
        assert isinstance(runs, list)
        assert runs[0]["status"] == "transient" and "rcetl sync by hand" in runs[0]["message"]
    finally:
        held.release()
    assert daemon.stop() == 0
