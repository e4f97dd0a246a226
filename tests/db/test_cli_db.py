"""`rcetl db upgrade | current | tables` against real databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from etl.cli.main import cli
from etl.db import head_revision


def rcetl(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_upgrade_then_current_on_a_new_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'rc.db'}"
    code, out = rcetl("--database-url", url, "db", "current")
    assert code == 1 and "(empty database)" in out and "behind" in out
    code, out = rcetl("--database-url", url, "db", "upgrade")
    assert code == 0 and f"upgraded (empty) -> {head_revision()}" in out
    code, out = rcetl("--database-url", url, "db", "upgrade")
    assert code == 0 and "already at" in out
    code, out = rcetl("--database-url", url, "db", "current")
    assert code == 0 and "up to date" in out


def test_tables_upgrades_first_and_counts(tmp_path: Path) -> None:
    code, out = rcetl("--database-url", f"sqlite:///{tmp_path / 'rc.db'}", "db", "tables")
    assert code == 0
    lines = dict(line.split(maxsplit=1) for line in out.splitlines())
    assert lines["messages"].strip() == "0" and lines["counters"].strip() == "1"
    assert lines["threads"].strip() == "(view)"


def test_current_on_postgresql(pg_url: str) -> None:
    code, out = rcetl("--database-url", pg_url, "db", "current")
    assert code == 0 and "up to date" in out


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://etl:s3cret@127.0.0.1:1/nowhere", "sqlite:////proc/no/such/dir/rc.db"],
)
def test_unreachable_database_is_one_clear_line_without_the_password(url: str) -> None:
    code, out = rcetl("--database-url", url, "db", "current")
    assert code == 5  # README "Exit codes": the database cannot be used
    assert "s3cret" not in out and "Traceback" not in out
    assert out.startswith("error: database ") and len(out.strip().splitlines()) == 1


def test_current_on_a_database_from_a_newer_rcetl_says_upgrade_rcetl(db_url: str) -> None:
    """Case 13 of issue 9: not "behind: run upgrade", which would be wrong advice."""
    from sqlalchemy import text

    from etl.db import create_db_engine, open_database

    open_database(db_url).dispose()
    engine = create_db_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    code, out = rcetl("--database-url", db_url, "db", "current")
    assert code == 1
    assert "behind" not in out and "run `rcetl db upgrade`" not in out.replace("do not run", "")
    assert "newer than this rcetl" in out and "upgrade rcetl" in out
