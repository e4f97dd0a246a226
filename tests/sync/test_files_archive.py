"""`rcetl export archive --with-files` and `rcetl export verify`: the uploads' bytes in files/,
listed with their checksums; a tampered file fails verify; `complete` is only claimed when true.
And the file store on S3 (moto on loopback)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from etl.cli.main import cli
from etl.export import export_archive, verify_archive
from etl.export.filters import ExportFilters
from etl.export.fs import open_location
from tests.export.test_s3 import BUCKET, s3, s3_endpoint  # noqa: F401 (fixtures)
from tests.sync.test_files_download import joined_upload, rows


def synced(syncer: Any, tmp_path: Path, **files: Any) -> Any:
    s = syncer(files={"download": True, "store": str(tmp_path / "store"), **files})
    ws, admin = s.server.ws, s.creds["user_id"]
    room = joined_upload(ws, admin)["rid"]
    ws.mutate.upload_file(room, admin, "one.txt", "same", "text/plain")
    ws.mutate.upload_file(room, admin, "two.txt", "same", "text/plain")
    assert s.run(["uploads"]).ok
    return s, room


def test_archive_with_files_verifies_and_tampering_fails(syncer: Any, tmp_path: Path) -> None:
    s, _ = synced(syncer, tmp_path)
    out = tmp_path / "archive"
    store = open_location(str(tmp_path / "store"))
    manifest = export_archive(s.engine, str(out), files_store=store)
    section = manifest["files"]
    stored = {r.file_sha256 for r in rows(s.engine).values() if r.file_status == "stored"}
    assert {f["sha256"] for f in section["files"]} == stored
    assert section["complete"] is False and section["not_included"]["forbidden"] > 0
    assert verify_archive(str(out)) == []
    victim = out / section["files"][0]["path"]
    victim.write_bytes(b"tampered")
    problems = verify_archive(str(out))
    assert any(p.startswith(section["files"][0]["path"]) and "changed" in p for p in problems)


def test_complete_only_when_true(syncer: Any, tmp_path: Path) -> None:
    s, room = synced(syncer, tmp_path)
    out = tmp_path / "archive"
    store = open_location(str(tmp_path / "store"))
    only = ExportFilters(rooms=(room,))
    manifest = export_archive(s.engine, str(out), only, files_store=store)
    assert manifest["files"]["complete"] is True and verify_archive(str(out)) == []
    # a file dropped from the archive and its manifest: the claim is now false
    (out / manifest["files"]["files"][0]["path"]).unlink()
    path = out / "manifest.json"
    doc = json.loads(path.read_text())
    doc["files"]["files"] = doc["files"]["files"][1:]
    path.write_text(json.dumps(doc))
    assert any("manifest says complete" in p for p in verify_archive(str(out)))


def test_cli_archive_with_files(syncer: Any, tmp_path: Path) -> None:
    s, _ = synced(syncer, tmp_path)
    out = tmp_path / "cli-archive"
    env = {
        "RCETL_SERVER__URL": s.server.url,
        "RCETL_DATABASE__URL": s.settings.database.url,
        "RCETL_SYNC__FILES__STORE": str(tmp_path / "store"),
    }
    runner = CliRunner()
    done = runner.invoke(cli, ["export", "archive", "--out", str(out), "--with-files"], env=env)
    assert done.exit_code == 0, done.output
    assert "files/" in done.output
    assert list((out / "files").rglob("*"))
    checked = runner.invoke(cli, ["export", "verify", str(out)], env=env)
    assert checked.exit_code == 0, checked.output


@pytest.mark.usefixtures("s3")
def test_file_store_on_s3(sqlite_syncer: Any, tmp_path: Path) -> None:
    s, _ = synced(
        sqlite_syncer,
        tmp_path,
        store=f"s3://{BUCKET}/files",
        partial_dir=str(tmp_path / "partial"),
    )
    stored = {r.file_sha256: r for r in rows(s.engine).values() if r.file_status == "stored"}
    client = boto3.client("s3", region_name="us-east-1")
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {f"files/{r.file_stored_path}" for r in stored.values()}
    digest, row = next(iter(stored.items()))
    body = client.get_object(Bucket=BUCKET, Key=f"files/{row.file_stored_path}")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == digest
    out = tmp_path / "archive"
    manifest = export_archive(s.engine, str(out), files_store=open_location(f"s3://{BUCKET}/files"))
    assert manifest["files"]["count"] == len(stored) and verify_archive(str(out)) == []


def test_feed_carries_uploads_with_their_digest(syncer: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from etl.export import export_feed

    s, _ = synced(syncer, tmp_path)
    result = export_feed(s.engine, str(tmp_path / "feed"))
    path = next(f.path for f in result.files if f.path.startswith("uploads/"))
    table = pq.read_table(tmp_path / "feed" / path)
    assert table.schema.field("size").type == pa.int64()
    assert table.schema.field("uploaded_at").type == pa.timestamp("ms", tz="UTC")
    digests = {d for d in table.column("file_sha256").to_pylist() if d}
    assert digests and "token" not in " ".join(table.column("raw").to_pylist())
