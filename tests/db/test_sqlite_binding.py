"""None binds as NULL, JSONText as text and bool as integer, on SQLite through the adapters
`create_db_engine` registers (etl/db.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from etl.db import create_db_engine
from etl.schema.types import JSONText


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


def test_json_text_binds_as_the_same_text_through_the_registered_adapter(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert (JSONText, sqlite3.PrepareProtocol) in sqlite3.adapters
    document = JSONText('{"msg":"h\\u00e9\\u0000 \U0001f600","n":1}')
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (raw JSON)")
        conn.exec_driver_sql("INSERT INTO t VALUES (?)", [(document,), (str(document),)])
        rows = conn.exec_driver_sql("SELECT typeof(raw), raw FROM t ORDER BY rowid").all()
    assert rows == [("text", str(document)), ("text", str(document))]
    engine.dispose()


def test_bool_binds_as_integer_through_the_registered_adapter(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert (bool, sqlite3.PrepareProtocol) in sqlite3.adapters
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a BOOLEAN, b INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (?, ?)", [(True, False), (False, 2**40)])
        rows = conn.exec_driver_sql("SELECT typeof(a), a, typeof(b), b FROM t ORDER BY rowid").all()
    assert rows == [("integer", 1, "integer", 0), ("integer", 0, "integer", 2**40)]
    engine.dispose()
