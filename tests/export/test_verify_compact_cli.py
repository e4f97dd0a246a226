"""verify (changed, missing, extra files), compaction, filters and the `rcetl export` commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from etl.cli.main import cli
from etl.db import open_database
from etl.export import export_archive, export_feed, verify_archive
from etl.export.compact import compact
from etl.schema import CHILD_TABLES, SYNCED_TABLES, metadata
from tests.export._data import ODD_ROOMS, db_rows, delete, save, seed_workspace, user_doc
from tests.export._replay import replay


@pytest.fixture
def engine(sqlite_url: str) -> sa.Engine:
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=6)
    return engine


def test_verify_reports_changed_missing_extra_and_leftovers(
    engine: sa.Engine, tmp_path: Path
) -> None:
    out = tmp_path / "a"
    manifest = export_archive(engine, str(out))
    name = f"part-00000-{manifest['generation']}.parquet"
    users = out / "users" / name
    pq.write_table(pq.read_table(users).slice(1), users)  # a valid Parquet file, one row short
    (out / "rooms" / name).unlink()
    (out / "rooms" / "stray.parquet").write_bytes(b"x")
    (out / "roles" / ".part-00000.parquet.tmp-0123456789ab").write_bytes(b"half")

    problems = verify_archive(str(out))
    assert any(p.startswith(f"users/{name}: changed") for p in problems)
    assert f"rooms/{name}: missing" in problems
    assert "rooms/stray.parquet: extra file not in the manifest" in problems
    assert (
        "roles/.part-00000.parquet.tmp-0123456789ab: leftover temporary file not in the manifest"
        in problems
    )
    assert len(problems) == 4
    assert manifest["tables"]["users"]["rows"] == 4

    result = CliRunner().invoke(cli, ["export", "verify", str(out)])
    assert result.exit_code == 1
    assert f"rooms/{name}: missing" in result.output


def test_verify_reports_row_count_mismatch(engine: sa.Engine, tmp_path: Path) -> None:
    out = tmp_path / "a"
    export_archive(engine, str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["tables"]["users"]["rows"] = 99
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert verify_archive(str(out)) == ["table users: files hold 4 rows, manifest says 99"]


def test_compact_feed_then_keep_feeding(engine: sa.Engine, tmp_path: Path) -> None:
    out = tmp_path / "feed"
    export_feed(engine, str(out))
    for i in range(2):
        save(engine, "users", [user_doc("1", ["user", f"role{i}"])])
        delete(engine, "messages", [f"dev-m{i}"], "purge")
        export_feed(engine, str(out))
    before = len(list(out.rglob("*.parquet")))
    result = compact(str(out))
    # The newest run (3) may still be redone if its position was not committed: left alone.
    assert result.merged["users/changes/run-000001--run-000002.parquet"] == 2
    assert (out / "users" / "changes" / "run-000003.parquet").exists()
    assert len(list(out.rglob("*.parquet"))) < before
    assert verify_archive(str(out)) == []

    save(engine, "users", [user_doc("2", ["guest"])])
    assert export_feed(engine, str(out)).run == 4
    assert verify_archive(str(out)) == []
    state = replay(out)
    for table in [*SYNCED_TABLES, *CHILD_TABLES]:
        assert state[table] == db_rows(engine, table), table


def test_cli_archive_one_room_one_period(
    engine: sa.Engine, sqlite_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "dev-2025"
    args = ["--database-url", sqlite_url, "export", "archive", "--out", str(out)]
    result = CliRunner().invoke(
        cli, [*args, "--room", "dev", "--since", "2025", "--until", "2025-02"]
    )
    assert result.exit_code == 0, result.output
    assert "archive written to" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    messages = metadata.tables["messages"]
    in_range = sa.and_(
        messages.c.rid == "dev",
        messages.c.ts >= datetime(2025, 1, 1, tzinfo=UTC),
        messages.c.ts < datetime(2025, 2, 1, tzinfo=UTC),
    )
    expected = db_rows(engine, "messages", in_range)
    assert 0 < manifest["tables"]["messages"]["rows"] == len(expected) < 6
    assert "users" not in manifest["tables"]  # not room data: only when asked for with --table
    reactions = pq.read_table(out / "message_reactions").column("message_id").to_pylist()
    assert set(reactions) <= set(expected)
    assert manifest["filters"]["rooms"] == ["dev"]
    assert manifest["tables"]["rooms"]["rows"] == 1


def test_cli_feed_and_errors(engine: sa.Engine, sqlite_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--database-url", sqlite_url, "export"]
    first = runner.invoke(cli, [*base, "feed", "--out", str(tmp_path / "f")])
    assert first.exit_code == 0 and "feed run 1" in first.output, first.output
    again = runner.invoke(cli, [*base, "feed", "--out", str(tmp_path / "f")])
    assert "nothing changed" in again.output
    over_feed = runner.invoke(cli, [*base, "archive", "--out", str(tmp_path / "f")])
    assert over_feed.exit_code == 1 and "not an archive" in over_feed.output
    assert verify_archive(str(tmp_path / "f")) == []  # the feed is untouched
    bad = runner.invoke(cli, [*base, "archive", "--out", str(tmp_path / "x"), "--table", "nope"])
    assert bad.exit_code != 0 and "unknown table(s) ['nope']" in bad.output
    bad_date = runner.invoke(cli, [*base, "archive", "--out", "x", "--since", "last tuesday"])
    assert bad_date.exit_code == 2 and "is not a date" in bad_date.output
    nowhere = runner.invoke(cli, [*base, "compact", str(tmp_path / "nowhere")])
    assert nowhere.exit_code == 1 and "no manifest.json" in nowhere.output
    assert verify_archive(str(tmp_path / "typo"))[0].startswith("manifest.json: missing")
    assert not (tmp_path / "typo").exists() and not (tmp_path / "nowhere").exists()


def test_odd_room_filter_round_trips(engine: sa.Engine, tmp_path: Path) -> None:
    from etl.export import ExportFilters

    out = tmp_path / "odd"
    manifest = export_archive(engine, str(out), ExportFilters(rooms=(ODD_ROOMS[0],)))
    assert [f["path"].split("/")[1] for f in manifest["tables"]["messages"]["files"]] == [
        "rid=..%2F..%2Fetc"
    ] * 3
    table = pa.concat_tables(
        pq.read_table(out / f["path"]) for f in manifest["tables"]["messages"]["files"]
    )
    assert table.num_rows == 6


def test_demo_writes_a_verified_archive(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", "--size", "tiny", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "Parquet archive" in result.output and "rcetl export verify" in result.output
    assert verify_archive(str(tmp_path / "d" / "archive")) == []
    manifest = json.loads((tmp_path / "d" / "archive" / "manifest.json").read_text())
    assert manifest["server"]["version"] and manifest["tables"]["messages"]["rows"] > 100
