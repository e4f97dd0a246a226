"""CPU seconds of PostgreSQL server processes (the server runs on this machine): a sync's or a
COPY's own CPU leaves out the server's work, which is most of a PostgreSQL load's cost."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine


def backend_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of the processes `pids` (those gone count nothing)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def database_backends_cpu(url: str) -> float:
    """CPU of every backend now connected to the database of `url` (a sync's pool). Connections
    its pool closed earlier are missed: an undercount, never an overcount."""
    engine = create_engine(url)
    with engine.connect() as conn:
        pids = [
            row[0]
            for row in conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    engine.dispose()
    return backend_cpu(pids)
