"""Case 9 of issue 9: one table from error class to outcome (`etl.errors.OUTCOMES`), so README's
exit codes hold for every command. An unreachable server is one line and exit 4; a database
that fills up, is read-only or refuses a write is one `DatabaseError` line naming the database
(password masked) and the cause, exit 5, no traceback, no SQL, no message text; nothing is
corrupted and a rerun recovers. Real processes, real SQLite files, a real PostgreSQL role."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from etl.db import create_db_engine, open_database
from etl.errors import OUTCOMES, UNEXPECTED, safe_url
from etl.schema import metadata
from etl.simulator import SimServer
from tests.cli._proc import Ran, run_rcetl, token_env

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_exit_code_of_the_table_is_documented_in_the_readme() -> None:
    section = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    used = {found.exit_code for _, found in OUTCOMES} | {UNEXPECTED.exit_code, 0}
    assert used <= documented, f"undocumented exit codes: {used - documented}"


@pytest.mark.parametrize("command", [["sync"], ["reconcile"], ["sync", "messages"]])
def test_an_unreachable_server_is_one_line_and_exit_4(
    command: list[str], db_url: str, refused_url: str
) -> None:
    ran = run_rcetl(
        *("--server-url", refused_url, "--database-url", db_url),
        *("--set", "sync.retries.max_attempts=1", *command),
        env=token_env({"token": "t", "user_id": "u"}),
    )
    assert ran.code == 4, ran.err
    assert len(ran.err_lines) == 1, ran.err
    assert ran.err_lines[0].startswith("error: /api/info: no HTTP status: cannot reach http://")
    runs = rows(db_url, "sync_runs")
    assert [(run["status"], len(run["errors"])) for run in runs] == [("failed", 1)]


# --- database write errors ---------------------------------------------------------------

# Run first in the rcetl process: every SQLite connection may grow the file by only a few pages
# beyond its size at the start (a real SQLITE_FULL, "database or disk is full").
SQLITE_FULL_PRELUDE = """
import os, sqlalchemy, sqlalchemy.event
def _limit(dbapi_connection, _record):
    pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
    dbapi_connection.execute(f"PRAGMA max_page_count = {pages + int(os.environ['EXTRA_PAGES'])}")
sqlalchemy.event.listen(sqlalchemy.Engine, "connect", _limit)
"""


def assert_one_database_line(ran: Ran, url_shown: str, cause: str) -> None:
    assert ran.code == 5, ran.err
    errors = [line for line in ran.err_lines if line.startswith("error:")]
    assert errors == [f"error: database {url_shown}: {cause}"], ran.err
    for forbidden in ("Traceback", "[SQL", "parameters", "INSERT", "UPDATE"):
        assert forbidden not in ran.err, ran.err


def assert_no_message_text(ran: Ran, server: SimServer) -> None:
    texts = [m["msg"] for m in server.ws.ground_truth()["messages"].values() if len(m["msg"]) > 12]
    assert not [t for t in texts if t in ran.err], "a message text reached stderr"


def sync_args(server: SimServer, db_url: str) -> tuple[str, ...]:
    return ("--server-url", server.url, "--database-url", db_url, "sync")


def test_sqlite_disk_full_is_one_line_and_a_rerun_recovers(
    sim_server: Callable[..., SimServer], sim_workspace: Any, tmp_path: Path
) -> None:
    server = sim_server()
    db_url = f"sqlite:///{tmp_path / 'rc.db'}"
    open_database(db_url).dispose()
    env = token_env(sim_workspace.credentials["admin"]) | {"EXTRA_PAGES": "40"}

    full = run_rcetl(*sync_args(server, db_url), env=env, prelude=SQLITE_FULL_PRELUDE)
    assert_one_database_line(full, db_url, "database or disk is full")
    assert_no_message_text(full, server)

    engine = create_db_engine(db_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        stored = conn.execute(select(func.count()).select_from(metadata.tables["messages"]))
        assert stored.scalar_one() < len(server.ws.ground_truth()["messages"])
    engine.dispose()

    again = run_rcetl(*sync_args(server, db_url), env=env)
    assert again.code == 0, again.err
    assert_complete(db_url, server)
    statuses = [run["status"] for run in rows(db_url, "sync_runs")]
    assert statuses[-1] == "ok" and statuses[0] in ("failed", "interrupted"), statuses


def test_read_only_sqlite_file_is_one_line_and_a_rerun_recovers(
    sim_server: Callable[..., SimServer], sim_workspace: Any, tmp_path: Path
) -> None:
    server = sim_server()
    path = tmp_path / "rc.db"
    db_url = f"sqlite:///{path}"
    env = token_env(sim_workspace.credentials["admin"])
    assert run_rcetl(*sync_args(server, db_url), "users", env=env).code == 0
    before = path.read_bytes()

    # Tests run as root, for whom file modes do not stop writes: SQLite's read-only open does.
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    ran = run_rcetl(*sync_args(server, read_only), env=env)
    assert_one_database_line(ran, safe_url(read_only), "attempt to write a readonly database")
    assert path.read_bytes() == before

    again = run_rcetl(*sync_args(server, db_url), env=env)
    assert again.code == 0, again.err
    assert_complete(db_url, server)


@pytest.mark.postgres
def test_postgres_permission_denied_is_one_line_with_the_password_masked(
    sim_server: Callable[..., SimServer], sim_workspace: Any, pg_url: str
) -> None:
    server = sim_server()
    env = token_env(sim_workspace.credentials["admin"])
    role, password = f"rcetl_limited_{secrets.token_hex(4)}", "Secr3t-db-pw"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    database = make_url(pg_url).database
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
        conn.exec_driver_sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        conn.exec_driver_sql(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
        # The role may log runs and checkpoints but not store users: the run fails mid-way.
        conn.exec_driver_sql(f"REVOKE INSERT, UPDATE ON users, user_roles, user_emails FROM {role}")
    limited = make_url(pg_url).set(username=role, password=password)
    limited_url = limited.render_as_string(hide_password=False)
    try:
        ran = run_rcetl(*sync_args(server, limited_url), env=env)
        shown = limited.render_as_string(hide_password=True)
        assert "***" in shown
        assert_one_database_line(ran, shown, "permission denied for table users")
        assert password not in ran.err + ran.out
        runs = rows(pg_url, "sync_runs")
        assert runs[-1]["status"] == "failed"
        assert runs[-1]["errors"] == [
            f"database: database {shown}: permission denied for table users"
        ]

        again = run_rcetl(*sync_args(server, pg_url), env=env)
        assert again.code == 0, again.err
        assert_complete(pg_url, server)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": role},
            )
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def rows(db_url: str, table: str) -> list[dict[str, Any]]:
    engine: Engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(select(metadata.tables[table]).order_by(text("1")))
            return [dict(row) for row in found.mappings()]
    finally:
        engine.dispose()


def assert_complete(db_url: str, server: SimServer) -> None:
    truth = server.ws.ground_truth()
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            for table in ("users", "rooms"):
                t = metadata.tables[table]
                ids = set(conn.execute(select(t.c.id).where(t.c.deleted_at.is_(None))).scalars())
                assert ids == set(truth[table]), table
    finally:
        engine.dispose()
