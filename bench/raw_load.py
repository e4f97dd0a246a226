"""bench_sync's second limit: a raw load of exactly the rows a sync wrote into an empty database
of the same schema (every table of the models, migrated the same way, full-text objects included).

SQLite: `sqlite3` `executemany` of plain INSERTs, one transaction per table, tuples as stored.
PostgreSQL: `COPY ... FROM STDIN` of the blocks `COPY ... TO STDOUT` reads from the synced
database. Only the writes (and the commit) are timed: reading the source is not the loader's work.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any


class Stopwatch:
    """Wall and CPU seconds of the timed blocks only (`with watch: ...`)."""

    def __init__(self) -> None:
        self.seconds = self.cpu_seconds = 0.0

    def __enter__(self) -> None:
        self._start = (time.perf_counter(), time.process_time())

    def __exit__(self, *_: object) -> None:
        self.seconds += time.perf_counter() - self._start[0]
        self.cpu_seconds += time.process_time() - self._start[1]


# Bookkeeping the migration writes itself, and what the full-text triggers derive.
SKIPPED = {"alembic_version"}
CHUNK = 10_000


def _tables() -> list[tuple[str, list[str]]]:
    from etl.schema import metadata

    return [
        (t.name, [c.name for c in t.columns])
        for t in metadata.sorted_tables
        if t.name not in SKIPPED
    ]


def raw_load(source_url: str, target_url: str, bulk_fts: bool = False) -> dict[str, Any]:
    """Copy every row of the synced database at `source_url` into the empty database at
    `target_url` (created and migrated here, untimed); returns rows, seconds, rows per table.
    `bulk_fts` (SQLite): without the full-text triggers, and the index built after (timed)."""
    from etl.db import open_database

    engine = open_database(target_url)  # the same schema, made the same way
    with engine.begin() as conn:  # rows the migrations wrote (the counters): an EMPTY database
        for table, _columns in _tables():
            conn.exec_driver_sql(f'DELETE FROM "{table}"')
    engine.dispose()
    if source_url.startswith("sqlite"):
        return _sqlite(_path(source_url), _path(target_url), bulk_fts)
    return _postgres(source_url, target_url)


def _path(url: str) -> str:
    return url.split(":///", 1)[1]


def _sqlite(source: str, target: str, bulk_fts: bool) -> dict[str, Any]:
    from etl.fulltext.names import FTS_TABLE, FTS_TRIGGERS, SQLITE_TRIGGERS

    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    if bulk_fts:
        for name in FTS_TRIGGERS:
            dst.execute(f"DROP TRIGGER {name}")
    watch, rows, per_table = Stopwatch(), 0, {}
    for table, columns in _tables():
        quoted = ", ".join(f'"{c}"' for c in columns)
        insert = f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join("?" * len(columns))})'
        read = src.execute(f'SELECT {quoted} FROM "{table}"')
        count = 0
        with watch:
            dst.execute("BEGIN")
        while chunk := read.fetchmany(CHUNK):
            with watch:
                dst.executemany(insert, chunk)
            count += len(chunk)
        with watch:
            dst.execute("COMMIT")
        rows += count
        if count:
            per_table[table] = count
    if bulk_fts:
        with watch:
            dst.execute("BEGIN")
            dst.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
            for statement in SQLITE_TRIGGERS:
                dst.execute(statement)
            dst.execute("COMMIT")
    src.close()
    dst.close()
    return {
        "rows": rows,
        "seconds": watch.seconds,
        "cpu_seconds": watch.cpu_seconds,
        "tables": per_table,
    }


def _postgres(source_url: str, target_url: str) -> dict[str, Any]:
    import psycopg
    from pg_cpu import backend_cpu
    from sqlalchemy.engine import make_url

    def conninfo(url: str) -> str:
        u = make_url(url)
        return psycopg.conninfo.make_conninfo(
            host=u.host or "", port=u.port or 5432, user=u.username or "",
            password=u.password or "", dbname=u.database or "",
        )  # fmt: skip

    watch, rows, per_table = Stopwatch(), 0, {}
    with psycopg.connect(conninfo(source_url)) as src, psycopg.connect(conninfo(target_url)) as dst:
        for table, columns in _tables():
            quoted = ", ".join(f'"{c}"' for c in columns)
            count = src.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
            if not count:
                continue
            source = f'COPY "{table}" ({quoted}) TO STDOUT'
            with src.cursor() as sc, dst.cursor() as dc, sc.copy(source) as out:
                with watch:
                    copy_in = dc.copy(f'COPY "{table}" ({quoted}) FROM STDIN')
                    writer = copy_in.__enter__()
                for block in out:
                    with watch:
                        writer.write(block)
                with watch:
                    copy_in.__exit__(None, None, None)
                    dst.commit()
            rows += count
            per_table[table] = count
        server_cpu = backend_cpu([dst.info.backend_pid])
    return {
        "rows": rows,
        "seconds": watch.seconds,
        "cpu_seconds": watch.cpu_seconds,
        "server_cpu_seconds": server_cpu,  # the COPYs' backend (its reads of the source: not)
        "tables": per_table,
    }
