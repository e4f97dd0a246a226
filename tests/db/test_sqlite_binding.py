"""None binds as NULL on SQLite through the adapter `create_db_engine` registers (etl/db.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from etl.db import create_db_engine


def test_none_binds_as_null_through_the_registered_adapter(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert (type(None), sqlite3.PrepareProtocol) in sqlite3.adapters
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER, b TEXT, c BLOB)"))
        conn.execute(text("INSERT INTO t VALUES (:a, :b, :c)"), [{"a": None, "b": None, "c": None}])
        conn.exec_driver_sql("INSERT INTO t VALUES (?, ?, ?)", [(1, None, b"x"), (None, "y", None)])
        rows = conn.exec_driver_sql(
            "SELECT typeof(a), typeof(b), typeof(c) FROM t ORDER BY rowid"
        ).all()
    assert rows == [("null", "null", "null"), ("integer", "null", "blob"), ("null", "text", "null")]
    engine.dispose()
