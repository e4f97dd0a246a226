"""One daemon per database. PostgreSQL: a session advisory lock held on a dedicated connection, so
it works across machines and disappears with the process (even on `kill -9`, when the server notices
the dropped connection). SQLite: an `fcntl` lock on `<database>.daemon.lock` beside the file, which
the kernel releases when the process dies. Either way the refusal names the holder."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from etl.errors import RcetlError

# The two-int form of pg_try_advisory_lock shows up in pg_locks as classid/objid with objsubid 2.
# 0x72636574 is "rcet"; the second key is "daemon" in spirit. Advisory locks are per database.
PG_LOCK_KEYS = (0x72636574, 0x0DAE0001)
APPLICATION_NAME_PREFIX = "rcetl-daemon"


class DaemonLockedError(RcetlError):
    """Another daemon already runs against this database."""


class DaemonLock(Protocol):
    def held(self) -> bool: ...

    def release(self) -> None: ...


def holder_identity() -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def acquire_daemon_lock(database_url: str) -> DaemonLock:
    """Take the lock or raise DaemonLockedError naming the process that holds it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise RcetlError("the daemon needs a database file, not an in-memory SQLite database")
        return SqliteFileLock.acquire(Path(url.database))
    return PostgresAdvisoryLock.acquire(database_url)


class SqliteFileLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, database: Path) -> SqliteFileLock:
        path = database.with_name(database.name + ".daemon.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise DaemonLockedError(
                f"another rcetl daemon already runs against {database} "
                f"(pid {holder.get('pid', '?')} on host {holder.get('host', '?')}, "
                f"started {holder.get('started_at', '?')}; lock file {path})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder_identity()).encode() + b"\n", 0)
        os.fsync(fd)
        return cls(path, fd)

    def held(self) -> bool:
        return self._fd is not None  # the kernel never takes an flock away from a live process

    def release(self) -> None:
        # The file stays (unlinking a lock file races with a newcomer opening it); its content is
        # only read while somebody holds the lock.
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> dict[str, object]:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class PostgresAdvisoryLock:
    def __init__(self, engine: sa.Engine, connection: sa.Connection) -> None:
        self._engine = engine
        self._connection: sa.Connection | None = connection

    @classmethod
    def acquire(cls, database_url: str) -> PostgresAdvisoryLock:
        identity = holder_identity()
        # The holder's pid and host travel in application_name, which pg_stat_activity shows to
        # every other session: no table to clean up after a crash.
        name = f"{APPLICATION_NAME_PREFIX} pid={identity['pid']} host={identity['host']}"[:63]
        engine = sa.create_engine(
            database_url, poolclass=NullPool, connect_args={"application_name": name}
        )
        connection = engine.connect()
        got = connection.execute(
            sa.text("SELECT pg_try_advisory_lock(:a, :b)"),
            {"a": PG_LOCK_KEYS[0], "b": PG_LOCK_KEYS[1]},
        ).scalar()
        connection.commit()  # session-level lock: it outlives the transaction
        if got:
            return cls(engine, connection)
        holder = _pg_holder(connection)
        connection.close()
        engine.dispose()
        raise DaemonLockedError(
            f"another rcetl daemon already runs against {make_url(database_url).database} "
            f"({holder})"
        )

    def held(self) -> bool:
        """False once the session is gone (server restart, pg_terminate_backend, network)."""
        if self._connection is None:
            return False
        try:
            count = self._connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND granted "
                    "AND locktype = 'advisory' AND classid = :a AND objid = :b AND objsubid = 2"
                ),
                {"a": PG_LOCK_KEYS[0], "b": PG_LOCK_KEYS[1]},
            ).scalar()
            self._connection.commit()
        except sa.exc.DBAPIError:
            return False
        return bool(count)

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # closing the session drops the advisory lock
            self._engine.dispose()
            self._connection = None


def _pg_holder(connection: sa.Connection) -> str:
    row = connection.execute(
        sa.text(
            "SELECT a.application_name, a.client_addr, a.pid, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :a AND l.objid = :b "
            "AND l.objsubid = 2 AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"a": PG_LOCK_KEYS[0], "b": PG_LOCK_KEYS[1]},
    ).first()
    if row is None:
        return "the holder could not be identified; it may have just exited"
    name, addr, backend_pid, since = row
    who = name.removeprefix(APPLICATION_NAME_PREFIX).strip() or "an unnamed session"
    return (
        f"{who}, connected from {addr or 'local socket'} since {since:%Y-%m-%d %H:%M:%S%z}, "
        f"server backend pid {backend_pid}"
    )
