"""Archives: every table round-trips through Parquet (pyarrow, DuckDB, pandas) on both dialects."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import sqlalchemy as sa

from etl.export import ExportOptions, export_archive, verify_archive
from etl.export.arrow_schema import TIMESTAMP
from tests.export._data import (
    ODD_ROOMS,
    T0,
    arrow_rows,
    db_rows,
    message_doc,
    save,
    seed_workspace,
)

HIVE = ds.partitioning(pa.schema([("rid", pa.string()), ("month", pa.string())]), flavor="hive")


def _read(out: Path, table: str) -> pa.Table:
    partitioning = HIVE if table == "messages" else None
    return ds.dataset(out / table, format="parquet", partitioning=partitioning).to_table()


def test_archive_round_trips_every_table(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed_workspace(db_engine)
    # NUL is stored escaped on PostgreSQL (etl.schema.types); the export must undo that.
    odd = message_doc("nul", "GENERAL", T0, "a\x00b \ue000x", customFields={"k": "v\x00"})
    save(db_engine, "messages", [odd])
    out = tmp_path / "archive"
    # Tiny batches and row groups, so buffering across batches and row-group splits are exercised.
    manifest = export_archive(db_engine, str(out), options=ExportOptions(7, 10))

    assert verify_archive(str(out)) == []
    for table, entry in manifest["tables"].items():
        expected = db_rows(db_engine, table)
        assert entry["rows"] == len(expected), table
        assert arrow_rows(_read(out, table), table) == expected, table
    assert manifest["tables"]["messages"]["rows"] == 12 * 6 + 1
    back = arrow_rows(_read(out, "messages"), "messages")["nul"]
    assert back["msg"] == "a\x00b \ue000x" and back["raw"]["customFields"] == {"k": "v\x00"}
    assert manifest["tables"]["message_reactions"]["rows"] > 0
    assert manifest["change_seq"] > 0


def test_archive_types_partitions_and_compression(sqlite_url: str, tmp_path: Path) -> None:
    from etl.db import open_database

    engine = open_database(sqlite_url)
    seed_workspace(engine, rooms=("GENERAL",), per_room=25)
    out = tmp_path / "a"
    manifest = export_archive(engine, str(out), options=ExportOptions(row_group_rows=10))

    months = sorted(p.name for p in (out / "messages" / "rid=GENERAL").iterdir())
    expected = ["2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    assert months == [f"month={m}" for m in [*expected, "2025-06"]]
    first = out / manifest["tables"]["messages"]["files"][0]["path"]
    meta = pq.ParquetFile(first).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    schema = pq.read_schema(first)
    assert schema.field("ts").type == TIMESTAMP
    assert schema.field("raw").type == pa.string()
    assert schema.field("pinned").type == pa.bool_()
    assert schema.field("change_seq").type == pa.int64()
    assert "rid" not in schema.names  # in the path, not in the file
    users = pq.read_table(out / manifest["tables"]["users"]["files"][0]["path"])
    assert users.schema.field("utc_offset").type == pa.float64()
    # Big partitions are cut into row groups of the configured size.
    big = max(manifest["tables"]["messages"]["files"], key=lambda f: f["rows"])
    groups = pq.ParquetFile(out / big["path"]).metadata.num_row_groups
    assert groups == -(-big["rows"] // 10)


def test_duckdb_and_pandas_read_the_archive(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed_workspace(db_engine)
    out = tmp_path / "archive"
    export_archive(db_engine, str(out))
    expected = {(r["id"], r["rid"], r["msg"]) for r in db_rows(db_engine, "messages").values()}

    glob = (out / "messages" / "**" / "*.parquet").as_posix()
    rows = duckdb.sql(
        f"SELECT id, rid, msg, typeof(ts) FROM read_parquet('{glob}', hive_partitioning = true)"
    ).fetchall()
    assert {(i, r, m) for i, r, m, _ in rows} == expected
    assert {r for _, r, _, _ in rows} >= set(ODD_ROOMS)
    assert {t for _, _, _, t in rows} == {"TIMESTAMP WITH TIME ZONE"}
    frame = pd.read_parquet(out / "messages")
    assert {
        (i, str(r), m) for i, r, m in zip(frame.id, frame.rid, frame.msg, strict=True)
    } == expected
    assert str(frame.ts.dtype) == "datetime64[ms, UTC]"


def test_room_values_never_leave_the_output_dir(sqlite_url: str, tmp_path: Path) -> None:
    from etl.db import open_database

    engine = open_database(sqlite_url)
    seed_workspace(engine, rooms=ODD_ROOMS, per_room=2)
    out = tmp_path / "nested" / "archive"
    manifest = export_archive(engine, str(out))

    outside = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert all(
        p.startswith("nested") or p == "rcetl.db" or p.startswith("rcetl.db-") for p in outside
    )
    rid_folders = sorted(p.name for p in (out / "messages").iterdir())
    assert rid_folders == sorted(
        ["rid=..", "rid=..%2F..%2Fetc", "rid=a%2Fb%3Dc%25d", "rid=%C3%BCn%C3%AF%F0%9F%98%80"]
    )
    back = _read(out, "messages")
    assert sorted(set(back.column("rid").to_pylist())) == sorted(ODD_ROOMS)
    assert verify_archive(str(out)) == []
    assert manifest["tables"]["messages"]["rows"] == 8


# Escaped, each is longer than a folder name may be; the first two share their first 300 chars.
LONG_ROOMS = ("r" * 300 + "-one", "r" * 300 + "-two", "ü😀" * 60)


def _full_rids(table: pa.Table, manifest: dict) -> set[tuple[str, str]]:
    """(id, rid) with shortened partition values mapped back through the manifest."""
    whole = manifest["tables"]["messages"]["shortened_partitions"]["rid"]
    rows = zip(table.column("id").to_pylist(), table.column("rid").to_pylist(), strict=True)
    return {(mid, whole.get(rid, rid)) for mid, rid in rows}


def test_room_ids_too_long_for_a_folder_name(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed_workspace(db_engine, rooms=(*LONG_ROOMS, "GENERAL"), per_room=2)
    out = tmp_path / "archive"
    manifest = export_archive(db_engine, str(out))

    folders = [p.name for p in (out / "messages").iterdir()]
    assert len(folders) == 4 and all(len(name.encode()) <= 255 for name in folders)
    assert "rid=GENERAL" in folders
    assert verify_archive(str(out)) == []
    expected = {(mid, row["rid"]) for mid, row in db_rows(db_engine, "messages").items()}
    assert _full_rids(_read(out, "messages"), manifest) == expected
    assert len(manifest["tables"]["messages"]["shortened_partitions"]["rid"]) == 3

    again = export_archive(db_engine, str(out))  # the same ids, a new generation
    assert verify_archive(str(out)) == []
    assert _full_rids(_read(out, "messages"), again) == expected
