"""Index builds of a first load that run on the PostgreSQL server while the sync goes on.

At the end of a first load of messages the server builds the full-text (GIN) index and the
secondary indexes of `messages` and its child tables: several seconds of one backend's CPU during
which the sync's own Python (the next steps: members, uploads, ...) sat idle, on a machine whose
other core could run it (bench/pg_timeline.py: wall time was close to the client's CPU plus the
server's). Here each build runs in its own transaction on its own connection, on a thread of its
own (psycopg waits for the server without the GIL), and the run joins them before it ends.

Locks: the build's transaction takes every table lock it needs (SHARE on the tables it indexes)
on the calling thread before the build is handed over, while the caller holds none; the build
then waits for nothing, so a later write to those tables just waits for it (SHARE blocks writes,
not reads) and no deadlock can form. Two builds on one table (the GIN and the secondary indexes
of `messages`) hold SHARE together. The builds take no `change_seq` (they write no rows), so the
counter row, which every write transaction locks first, never waits on them.

Crash safety is the builds' own: a build killed or failed rolls back and leaves its index
missing, which is the marker the next messages step (or `rcetl db reindex`) acts on. A failed
build is raised by `join` (the run's database error, as when the build ran in line).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)


class Builds:
    """The background builds of one run; `join` before the run ends."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []

    def start(
        self,
        engine: Engine,
        tables: Sequence[str],
        build: Callable[[Connection], object],
        what: str,
    ) -> bool:
        """Run `build(conn)` in a transaction that holds SHARE on `tables`, in the background;
        False (nothing started) where builds run in line: SQLite (one writer at a time)."""
        if engine.dialect.name != "postgresql":
            return False
        conn = engine.connect()
        try:
            conn.begin()
            conn.exec_driver_sql(f"LOCK TABLE {', '.join(tables)} IN SHARE MODE")
        except BaseException:
            conn.close()
            raise
        thread = threading.Thread(
            target=self._run, args=(conn, build, what), name=f"rcetl-build-{what}", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return True

    def _run(self, conn: Connection, build: Callable[[Connection], object], what: str) -> None:
        try:
            build(conn)
            conn.commit()
            log.info("%s built in bulk after a first load", what)
        except BaseException as exc:
            self._errors.append(exc)
            log.warning("%s not built (the next sync does it): %s", what, exc)
        finally:
            conn.close()

    def join(self, raise_error: bool = True) -> None:
        """Wait for every build; raise the first that failed (unless `raise_error` is off: the
        run failed already and its own error is the one to report)."""
        while self._threads:
            self._threads.pop().join()
        errors, self._errors = self._errors, []
        if errors and raise_error:
            raise errors[0]
