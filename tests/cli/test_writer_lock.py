"""Case 12 and the first smaller ones of case 13 (issue 9): one writer lock (etl/lock.py) taken by
every command that writes the database, on the resolved SQLite path or a PostgreSQL advisory lock;
a command waits `--wait` seconds, then refuses with one line and exit 6. Runs killed while holding
it are marked interrupted by the next writer. Real processes throughout."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from etl.db import open_database
from etl.simulator import SimServer
from tests.cli._proc import rcetl_env, run_rcetl, start_rcetl, token_env
from tests.cli.test_exit_codes import rows

HOLD = (
    "import sys; from etl.lock import acquire_lock; "
    "lock = acquire_lock(sys.argv[1], 'writer', purpose='test holder'); "
    "print('held', flush=True); sys.stdin.read()"
)


class Holder:
    """Another process holding the writer lock until `release()`."""

    def __init__(self, database_url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, database_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=rcetl_env(),
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(10)


@pytest.fixture
def holder() -> Iterator[Callable[[str], Holder]]:
    started: list[Holder] = []

    def start(url: str) -> Holder:
        started.append(Holder(url))
        return started[-1]

    yield start
    for held in started:
        held.release()


WRITERS = (
    ("sync",),
    ("reconcile",),
    ("export", "archive", "--out", "{tmp}/archive"),
    ("export", "feed", "--out", "{tmp}/feed"),
    ("db", "upgrade"),
)


def test_every_writer_refuses_a_held_lock_reached_through_a_symlink(
    holder: Callable[[str], Holder], tmp_path: Path, refused_url: str
) -> None:
    real = tmp_path / "data" / "rc.db"
    real.parent.mkdir()
    open_database(f"sqlite:///{real}").dispose()
    (tmp_path / "link").symlink_to(real.parent)
    held = holder(f"sqlite:///{tmp_path / 'link' / 'rc.db'}")  # the same file, another name
    server = ("--server-url", refused_url)
    env = token_env({"token": "t", "user_id": "u"})
    for args in WRITERS:
        command = [arg.format(tmp=tmp_path) for arg in args]
        ran = run_rcetl(
            *server, "--database-url", f"sqlite:///{real}", *command, "--wait", "0", env=env
        )
        assert ran.code == 6, (command, ran.err)
        assert len(ran.err_lines) == 1, ran.err
        line = ran.err_lines[0]
        assert line.startswith(f"error: database sqlite:///{real} is busy"), line
        assert f"pid {held.proc.pid} on host" in line and "test holder" in line, line
        assert str(real) + ".writer.lock" in line


def test_a_command_waits_for_the_holder_within_wait_seconds(
    holder: Callable[[str], Holder], sqlite_url: str
) -> None:
    held = holder(sqlite_url)
    waiting = start_rcetl(
        "--database-url", sqlite_url, "db", "upgrade", "--wait", "60",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert waiting.stderr is not None
    first_line = waiting.stderr.readline()  # blocks until rcetl says it waits
    assert "waiting up to 60s for the writer lock" in first_line, first_line
    assert waiting.poll() is None, "it must wait while the lock is held"
    held.release()
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "upgraded" in out


@pytest.mark.postgres
def test_postgres_writers_refuse_a_held_advisory_lock(
    holder: Callable[[str], Holder], pg_url: str, tmp_path: Path
) -> None:
    held = holder(pg_url)
    env = token_env({"token": "t", "user_id": "u"})
    for args in (("sync",), ("export", "feed", "--out", str(tmp_path / "feed")), ("db", "upgrade")):
        ran = run_rcetl("--database-url", pg_url, *args, "--wait", "0.5", env=env)
        assert ran.code == 6, (args, ran.err)
        line = ran.err_lines[-1]
        assert "is busy: another rcetl process writes to it" in line, line
        assert f"writer pid={held.proc.pid}" in line and "waited 0.5s" in line, line
    held.release()
    assert run_rcetl("--database-url", pg_url, "db", "upgrade", "--wait", "0").code == 0


def test_a_killed_run_is_marked_interrupted_by_the_next_writer(
    sim_server: Callable[..., SimServer], sim_workspace: Any, db_url: str
) -> None:
    # Rate-limited (the admin too) so that the run lasts long enough to be killed mid-way.
    server = sim_server(rate_limit=(4, 0.5), bypass_roles=())
    env = token_env(sim_workspace.credentials["admin"])
    args = ("--server-url", server.url, "--database-url", db_url, "sync")
    killed = start_rcetl(*args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not [r for r in rows_or_none(db_url) if r["status"] == "running"]:
        assert killed.poll() is None and time.monotonic() < deadline, "the run never started"
        time.sleep(0.05)
    killed.kill()
    killed.wait(10)
    assert [r["status"] for r in rows(db_url, "sync_runs")] == ["running"]

    again = run_rcetl(*args, "users", env=env)
    assert again.code == 0, again.err
    assert "1 earlier run(s) had been killed; marked interrupted" in again.err
    first, second = rows(db_url, "sync_runs")
    assert (first["status"], second["status"]) == ("interrupted", "ok")
    assert first["errors"] and first["errors"][0].startswith("interrupted: the process ended")


def rows_or_none(db_url: str) -> list[dict[str, Any]]:
    try:
        return rows(db_url, "sync_runs")
    except Exception:  # the first run is still creating the schema
        return []
