"""The database's locks, for every rcetl process that writes it.

- `writer`: held while a command writes the database (sync, reconcile, export archive/feed, which
  store export_state, db upgrade) and by the daemon around each job and its start-up upgrade. A
  second writer waits up to `database.lock_wait` seconds (`--wait`), then refuses with
  `DatabaseBusyError` naming the holder.
- `daemon`: held by `rcetl daemon` for its whole life: one daemon per database, never waited for.

SQLite: an `flock` on `<database file>.<name>.lock`, on the file's resolved path, so two names
for one file (a symlink, a relative path) meet on one lock; the kernel releases it when the process
ends, however it ends. PostgreSQL (`etl.lock_pg`): a session advisory lock held on a dedicated
connection whose `application_name` names the holder, so it works across machines and ends with the
session.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from sqlalchemy.engine import URL, make_url

from etl.errors import ConfigError, DatabaseBusyError, StopRequested, safe_url
from etl.lock_pg import PostgresAttempt

log = logging.getLogger(__name__)

LockName = Literal["writer", "daemon"]
POLL_SECONDS = 0.2


class Lock(Protocol):
    def held(self) -> bool: ...

    def release(self) -> None: ...


def holder_identity(purpose: str) -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "purpose": purpose,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def acquire_lock(
    database_url: str,
    name: LockName,
    *,
    purpose: str,
    wait: float = 0.0,
    stop_event: threading.Event | None = None,
) -> Lock:
    """Take lock `name` on the database, waiting up to `wait` seconds for its holder (a set
    `stop_event` ends the wait with StopRequested); else DatabaseBusyError naming the holder."""
    url = make_url(database_url)
    attempt: _Attempt
    if url.get_backend_name() == "sqlite":
        path = sqlite_lock_path(url, name)
        if path is None:
            return _NoLock()  # an in-memory database: no other process can reach it
        attempt = _SqliteAttempt(path, purpose)
    else:
        attempt = PostgresAttempt(database_url, name, holder_identity(purpose))
    return _acquire(attempt, name, safe_url(url), wait, stop_event)


@contextmanager
def writer_lock(
    database_url: str,
    *,
    purpose: str,
    wait: float = 0.0,
    stop_event: threading.Event | None = None,
) -> Iterator[Lock]:
    lock = acquire_lock(database_url, "writer", purpose=purpose, wait=wait, stop_event=stop_event)
    try:
        yield lock
    finally:
        lock.release()


def sqlite_lock_path(url: URL, name: str) -> Path | None:
    """`<resolved database file>.<name>.lock`, or None for an in-memory database."""
    database = url.database or ""
    if database.startswith("file:"):  # a URI filename (`?uri=true`, e.g. `mode=ro`)
        database = database.removeprefix("file:").split("?", 1)[0]
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    resolved = Path(database).expanduser().resolve()
    return resolved.with_name(resolved.name + f".{name}.lock")


class _Attempt(Protocol):
    def try_once(self) -> Lock | None: ...

    def holder(self) -> str: ...

    def close(self) -> None: ...


def _acquire(
    attempt: _Attempt, name: str, where: str, wait: float, stop_event: threading.Event | None
) -> Lock:
    deadline = time.monotonic() + wait
    announced = False
    try:
        while True:
            lock = attempt.try_once()
            if lock is not None:
                return lock
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DatabaseBusyError(_refusal(name, where, attempt.holder(), wait))
            if not announced:
                log.info("waiting up to %gs for %s: %s", wait, _what(name, where), attempt.holder())
                announced = True
            pause = min(POLL_SECONDS, remaining)
            if stop_event is not None and stop_event.wait(pause):
                raise StopRequested(f"stop requested while waiting for {_what(name, where)}")
            if stop_event is None:
                time.sleep(pause)
    finally:
        attempt.close()


def _what(name: str, where: str) -> str:
    return f"the {name} lock on {where}"


def _refusal(name: str, where: str, holder: str, wait: float) -> str:
    if name == "daemon":
        return f"another rcetl daemon already runs against {where} ({holder})"
    waited = f"waited {wait:g}s; " if wait else ""
    return (
        f"database {where} is busy: another rcetl process writes to it ({holder}); {waited}"
        "try again when it has finished, or wait longer with --wait SECONDS"
    )


class _NoLock:
    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class SqliteFileLock:
    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def held(self) -> bool:
        return self._fd is not None  # the kernel never takes an flock away from a live process

    def release(self) -> None:
        # The file stays (unlinking a lock file races with a newcomer opening it); its content is
        # only read while somebody holds the lock.
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class _SqliteAttempt:
    def __init__(self, path: Path, purpose: str) -> None:
        self.path, self.purpose = path, purpose
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ConfigError(f"cannot create the lock file {path}: {exc.strerror}") from None

    def try_once(self) -> Lock | None:
        assert self._fd is not None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        fd, self._fd = self._fd, None  # the lock owns it now
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder_identity(self.purpose)).encode() + b"\n", 0)
        return SqliteFileLock(self.path, fd)

    def holder(self) -> str:
        data = _read_holder(self._fd) if self._fd is not None else {}
        return (
            f"pid {data.get('pid', '?')} on host {data.get('host', '?')}, "
            f"{data.get('purpose', 'rcetl')}, since {data.get('started_at', '?')}; "
            f"lock file {self.path}"
        )

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> dict[str, object]:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class SharedWriterLock:
    """The writer lock shared by the threads of one process (the daemon's sync and export jobs,
    which coordinate among themselves): the first job to start takes it, the last one to finish
    releases it, so other processes wait only while the daemon is busy. `on_acquire` runs each
    time the process newly holds it (no job of this process runs then)."""

    def __init__(
        self, database_url: str, wait: float, on_acquire: Callable[[], None] | None = None
    ) -> None:
        self._url, self._wait, self._on_acquire = database_url, wait, on_acquire
        self._mutex = threading.Lock()
        self._users = 0
        self._lock: Lock | None = None

    @contextmanager
    def hold(self, purpose: str, stop_event: threading.Event | None = None) -> Iterator[None]:
        with self._mutex:
            if self._users == 0:
                lock = acquire_lock(
                    self._url, "writer", purpose=purpose, wait=self._wait, stop_event=stop_event
                )
                try:
                    if self._on_acquire is not None:
                        self._on_acquire()
                except BaseException:
                    lock.release()
                    raise
                self._lock = lock
            self._users += 1
        try:
            yield
        finally:
            with self._mutex:
                self._users -= 1
                if self._users == 0 and self._lock is not None:
                    self._lock.release()
                    self._lock = None
