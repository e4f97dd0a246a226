"""Kill `rcetl sync` (SIGKILL) at several points, run it again: the database ends level with the
server, nothing missed, nothing duplicated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlalchemy import select

from etl.load.indexes import missing_indexes
from etl.schema import metadata
from tests.sync.helpers import assert_level_with_server, live_activity


def start_sync(server: Any, db_url: str, creds: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RCETL_TOKEN": creds["token"],
        "RCETL_USER_ID": creds["user_id"],
        "RCETL_SYNC__MESSAGE_PAGE_SIZE": "40",
        "RCETL_SYNC__PAGE_SIZE": "10",
        "RCETL_SYNC__CONCURRENCY": "2",
    }
    command = [
        sys.executable,
        "-c",
        "from etl.cli.main import cli; cli()",
        "--server-url",
        server.url,
    ]
    command += ["--database-url", db_url, "sync", "--json"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_after(
    proc: subprocess.Popen[bytes], server: Any, requests: int, timeout: float = 30
) -> bool:
    """SIGKILL the sync once the server has answered `requests` more requests; False if the
    sync finished first."""
    target = server.request_log.count() + requests
    deadline = time.monotonic() + timeout
    while server.request_log.count() < target and proc.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.001)
    finished = proc.poll() is not None
    proc.kill()
    proc.wait()
    return not finished


@pytest.mark.slow
def test_killed_sync_resumes_to_ground_truth(syncer: Any) -> None:
    sync = syncer()
    server, db_url = sync.server, str(sync.engine.url.render_as_string(hide_password=False))
    rng = random.Random(4)
    killed = 0
    for requests in (4, 18, 35, 60):  # small tables, rooms, early and late room walks
        killed += kill_after(start_sync(server, db_url, sync.creds), server, requests)
    assert killed >= 3
    hidden = live_activity(server.ws)["hidden"]
    for _ in range(2):  # during an incremental run: random points
        proc = start_sync(server, db_url, sync.creds)
        kill_after(proc, server, rng.randint(2, 20))
    proc = start_sync(server, db_url, sync.creds)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    sync.engine.dispose()
    sync.run(["rooms"])  # a fresh engine view (the subprocess wrote the file)
    assert_level_with_server(sync.engine, server.ws, sync.creds, still_live={hidden})
    with sync.engine.connect() as conn:  # the indexes a killed first load dropped are back
        assert missing_indexes(conn) == []


def test_sigterm_stops_cleanly_with_exit_130(sqlite_syncer: Any) -> None:
    sync = sqlite_syncer()
    server = sync.server
    db_url = str(sync.engine.url.render_as_string(hide_password=False))
    proc = start_sync(server, db_url, sync.creds)
    target = server.request_log.count() + 30
    while server.request_log.count() < target and proc.poll() is None:
        time.sleep(0.001)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    runs = metadata.tables["sync_runs"]
    with sync.engine.connect() as conn:
        assert conn.execute(select(runs.c.status)).scalar_one() == "stopped"
    assert sync.run().status == "ok"
    assert_level_with_server(sync.engine, server.ws, sync.creds)
