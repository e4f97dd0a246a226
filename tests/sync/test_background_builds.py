"""PostgreSQL builds a first load's indexes in the background (etl.load.background): a write to
the indexed tables meanwhile waits for the build instead of failing or deadlocking, a failed
build is reported by `join` and left to the next messages step, and SQLite builds in line."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa

from etl.db import open_database
from etl.fulltext.bulk import deferred_index, triggers_missing
from etl.load.background import Builds
from etl.load.indexes import deferred_indexes, missing_indexes
from tests.export._data import T0, message_doc, save


def _missing(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return {str(ix.name) for ix in missing_indexes(conn)}


def test_a_write_during_the_build_waits_for_it(pg_url: str) -> None:
    engine = open_database(pg_url)
    builds, started, release = Builds(), threading.Event(), threading.Event()

    def slow_build(conn: sa.Connection) -> None:
        started.set()
        release.wait(10)
        conn.exec_driver_sql("CREATE INDEX ix_test_slow ON messages (rid)")

    assert builds.start(engine, ("messages",), slow_build, "test index")
    started.wait(10)
    wrote = threading.Event()
    writer = threading.Thread(
        target=lambda: (save(engine, "messages", [message_doc("m1", "r1", T0, "hi")]), wrote.set())
    )
    writer.start()
    time.sleep(0.5)
    assert not wrote.is_set()  # the build holds SHARE on messages: the write waits
    release.set()
    builds.join()
    writer.join(10)
    assert wrote.is_set()
    with engine.connect() as conn:
        names = {row[0] for row in conn.exec_driver_sql("SELECT indexname FROM pg_indexes")}
        assert "ix_test_slow" in names
        assert conn.exec_driver_sql("SELECT count(*) FROM messages").scalar() == 1
    engine.dispose()


def test_a_failed_build_is_raised_by_join_and_redone_by_the_next_step(pg_url: str) -> None:
    engine = open_database(pg_url)
    builds = Builds()

    def failing(conn: sa.Connection) -> None:
        conn.exec_driver_sql("SELECT 1 / 0")

    with deferred_indexes(engine) as first_load:
        assert first_load
        save(engine, "messages", [message_doc("m1", "r1", T0, "hello")])
        # the step's own build (below, at the exit) works; this one fails
        assert builds.start(engine, ("messages",), failing, "failing")
    with pytest.raises(sa.exc.DBAPIError):
        builds.join()
    builds.join()  # nothing left to wait for or raise
    assert _missing(engine) == set()
    engine.dispose()


def test_the_step_builds_in_the_background_and_join_waits_for_them(pg_url: str) -> None:
    engine = open_database(pg_url)
    builds = Builds()
    with deferred_index(engine, builds), deferred_indexes(engine, builds) as first_load:
        assert first_load
        save(engine, "messages", [message_doc("m1", "r1", T0, "hello world")])
    builds.join()
    assert _missing(engine) == set()
    with engine.connect() as conn:
        assert not triggers_missing(conn)
    engine.dispose()


def test_sqlite_builds_in_line(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    assert not Builds().start(engine, ("messages",), lambda conn: None, "nothing")
    builds = Builds()
    with deferred_indexes(engine, builds) as first_load:
        assert first_load
    assert _missing(engine) == set()  # built before the step returned
    engine.dispose()


KILLED_DURING_BUILD = """
import os, signal, sys, threading
from etl.db import open_database
from etl.fulltext.bulk import begin_deferred, rebuild_with_triggers
from etl.load.background import Builds
from etl.load.indexes import TABLES, begin_load, create_missing
from tests.export._data import T0, message_doc, save

def slow(build):
    def run(conn):
        conn.exec_driver_sql("SELECT pg_sleep(3)")  # the kill lands here, mid-transaction
        build(conn)
    return run

engine = open_database(sys.argv[1])
assert begin_load(engine) and begin_deferred(engine)  # a first load: the indexes dropped
save(engine, "messages", [message_doc("m1", "r1", T0, "hello world")])
builds = Builds()
builds.start(engine, TABLES, slow(create_missing), "secondary indexes")
builds.start(engine, ("messages",), slow(rebuild_with_triggers), "full-text index")
threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
builds.join()
"""


def test_a_kill_during_the_builds_leaves_them_to_the_next_step(pg_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_DURING_BUILD, pg_url], capture_output=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    engine = open_database(pg_url)
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT id FROM messages").all()
    assert [row[0] for row in stored] == ["m1"]  # the load itself was committed
    assert _missing(engine)  # the builds in flight were rolled back with their session
    with engine.connect() as conn:
        assert triggers_missing(conn)
    builds = Builds()
    with deferred_index(engine, builds), deferred_indexes(engine, builds) as first_load:
        assert not first_load  # not empty: whatever the kill left out is created here
    builds.join()
    assert _missing(engine) == set()
    with engine.connect() as conn:
        assert not triggers_missing(conn)
    engine.dispose()
