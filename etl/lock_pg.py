"""The PostgreSQL side of `etl.lock`: a session advisory lock held on a dedicated connection whose
`application_name` names the holder, so it works across machines and ends with the session."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from etl.errors import database_error

# The two-int form of pg_try_advisory_lock shows up in pg_locks as classid/objid with objsubid 2.
# 0x72636574 is "rcet". Advisory locks are per database.
PG_LOCK_KEYS: dict[str, tuple[int, int]] = {
    "daemon": (0x72636574, 0x0DAE0001),
    "writer": (0x72636574, 0x0DAE0002),
}
APPLICATION_NAME_PREFIX = "rcetl-"


class PostgresAdvisoryLock:
    def __init__(self, engine: sa.Engine, connection: sa.Connection, keys: tuple[int, int]) -> None:
        self._engine = engine
        self._connection: sa.Connection | None = connection
        self._keys = keys

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
                {"a": self._keys[0], "b": self._keys[1]},
            ).scalar()
            self._connection.commit()
        except sa.exc.DBAPIError:
            return False
        return bool(count)

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()  # closing the session drops the advisory lock
            finally:
                self._engine.dispose()
                self._connection = None


class PostgresAttempt:
    def __init__(self, database_url: str, name: str, identity: dict[str, object]) -> None:
        purpose = identity["purpose"]
        self.keys = PG_LOCK_KEYS[name]
        # The holder's pid, host and purpose travel in application_name, which pg_stat_activity
        # shows to every other session: no table to clean up after a crash.
        label = f"{APPLICATION_NAME_PREFIX}{name} pid={identity['pid']} host={identity['host']}"
        self._engine = sa.create_engine(
            database_url,
            poolclass=NullPool,
            connect_args={"application_name": f"{label} {purpose}"[:63]},
        )
        try:
            self._connection: sa.Connection | None = self._engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            self._engine.dispose()
            raise database_error(database_url, exc) from None

    def try_once(self) -> PostgresAdvisoryLock | None:
        assert self._connection is not None
        got = self._connection.execute(
            sa.text("SELECT pg_try_advisory_lock(:a, :b)"), {"a": self.keys[0], "b": self.keys[1]}
        ).scalar()
        self._connection.commit()  # session-level lock: it outlives the transaction
        if not got:
            return None
        connection, self._connection = self._connection, None
        return PostgresAdvisoryLock(self._engine, connection, self.keys)

    def holder(self) -> str:
        assert self._connection is not None
        return _pg_holder(self._connection, self.keys)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._engine.dispose()
            self._connection = None


def _pg_holder(connection: sa.Connection, keys: tuple[int, int]) -> str:
    row = connection.execute(
        sa.text(
            "SELECT a.application_name, a.client_addr, a.pid, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :a AND l.objid = :b "
            "AND l.objsubid = 2 AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"a": keys[0], "b": keys[1]},
    ).first()
    connection.commit()
    if row is None:
        return "the holder could not be identified; it may have just exited"
    name, addr, backend_pid, since = row
    who = name.removeprefix(APPLICATION_NAME_PREFIX).strip() or "an unnamed session"
    return (
        f"{who}, connected from {addr or 'local socket'} since {since:%Y-%m-%d %H:%M:%S%z}, "
        f"server backend pid {backend_pid}"
    )
