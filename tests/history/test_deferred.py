"""A first load's versions 1, written in one pass at the end of the messages step
(etl.load.history_pending): kill -9 before or during the pass loses and duplicates nothing, the
next sync or `rcetl db reindex` makes the pass, and the versions equal page-by-page writing's."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from etl.cli.main import cli
from etl.db import open_database
from etl.simulator import SimOptions
from tests.history.helpers import all_versions
from tests.history.test_crash import _clean_run
from tests.sync.test_crash import start_sync

# Slow answers now and then: the messages step spans many write transactions.
SLOW = SimOptions(faults="slow=every:3@chat.syncMessages", slow_seconds=0.3)
MISSING = (
    "SELECT count(*) FROM messages m WHERE NOT EXISTS "
    "(SELECT 1 FROM message_versions v WHERE v.message_id = m.id)"
)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(sql).scalar_one())


def _pending(engine: Engine) -> int:
    return _count(engine, "SELECT count(*) FROM message_versions_pending")


def _kill_when_pending(proc: Any, engine: Engine, pages: int, timeout: float = 240) -> None:
    """SIGKILL the sync once `pages` write transactions have deferred versions."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if _pending(engine) >= pages:
            break
        time.sleep(0.002)
    proc.kill()
    proc.wait()


@pytest.mark.slow
def test_first_load_killed_before_its_pass_then_reindex(syncer: Any, tmp_path: Path) -> None:
    sync = syncer(SLOW)
    server, creds = sync.server, sync.creds
    db_url = sync.engine.url.render_as_string(hide_password=False)
    _kill_when_pending(start_sync(server, db_url, creds), sync.engine, pages=2)
    assert _pending(sync.engine) >= 2, "the kill must land in the messages step"
    missing = _count(sync.engine, MISSING)
    assert missing > 0
    messages = _count(sync.engine, "SELECT count(*) FROM messages")
    result = CliRunner().invoke(cli, ["--database-url", db_url, "db", "reindex"])
    assert result.exit_code == 0, result.output
    assert f"wrote {missing} first message version(s)" in result.output
    assert _pending(sync.engine) == 0
    assert _count(sync.engine, MISSING) == 0
    versions = all_versions(sync.engine)
    assert len(versions) == messages
    assert {(v[1], v[2], v[5]) for v in versions} == {(1, "created", "sync")}
    again = CliRunner().invoke(cli, ["--database-url", db_url, "db", "reindex"])
    assert again.exit_code == 0 and "first message version" not in again.output
    assert all_versions(sync.engine) == versions


@pytest.mark.slow
def test_first_load_killed_at_random_moments(syncer: Any, tmp_path: Path) -> None:
    """Kills at random moments (before, inside and after the pass): once a sync completes,
    the versions are exactly a clean sync's."""
    sync = syncer(SLOW)
    server, creds = sync.server, sync.creds
    db_url = sync.engine.url.render_as_string(hide_password=False)
    rng = random.Random(5)
    seen_pending = 0
    _kill_when_pending(start_sync(server, db_url, creds), sync.engine, pages=1)
    for _ in range(6):
        seen_pending += _pending(sync.engine) > 0
        proc = start_sync(server, db_url, creds)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.kill()
        proc.wait()
    assert seen_pending, "at least one kill must leave a pass to make"
    proc = start_sync(server, db_url, creds)
    _out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert _pending(sync.engine) == 0
    assert _count(sync.engine, MISSING) == 0
    reference = open_database(f"sqlite:///{tmp_path / 'reference.db'}")
    _clean_run(server, reference, creds)
    assert all_versions(sync.engine) == all_versions(reference)
    reference.dispose()
