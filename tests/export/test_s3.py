"""Object storage: archive, feed and verify against an S3-compatible server (moto, on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest
import sqlalchemy as sa
from moto.server import ThreadedMotoServer

from etl.db import open_database
from etl.export import export_archive, export_feed, verify_archive
from tests.export._data import arrow_rows, db_rows, seed_workspace
from tests.export._replay import replay
from tests.export.test_archive import LONG_ROOMS, _full_rids

BUCKET = "rcetl-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    # Port 0: the kernel picks a free port at bind time (no window for a parallel test to take it).
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The usual AWS environment pointing at the local server; a fresh bucket."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield s3_endpoint
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for obj in objects:
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[sa.Engine]:
    engine = open_database(sqlite_url)
    seed_workspace(engine, per_room=4)
    yield engine
    engine.dispose()


def _s3fs(endpoint: str) -> pafs.S3FileSystem:
    return pafs.S3FileSystem(
        access_key="testing", secret_key="testing", region="us-east-1",
        endpoint_override=endpoint.removeprefix("http://"), scheme="http",
    )  # fmt: skip


def test_archive_to_s3_round_trips_and_verifies(s3: str, engine: sa.Engine) -> None:
    uri = f"s3://{BUCKET}/exports/archive"
    manifest = export_archive(engine, uri)

    assert verify_archive(uri) == []
    fs = _s3fs(s3)
    keys = [
        i.path for i in fs.get_file_info(pafs.FileSelector(f"{BUCKET}/exports", recursive=True))
    ]
    assert f"{BUCKET}/exports/archive/manifest.json" in keys
    assert not [k for k in keys if ".tmp-" in k]
    for table in ("rooms", "users", "message_reactions"):
        dataset = ds.dataset(f"{BUCKET}/exports/archive/{table}", filesystem=fs, format="parquet")
        assert arrow_rows(dataset.to_table(), table) == db_rows(engine, table)
    messages = ds.dataset(
        f"{BUCKET}/exports/archive/messages", filesystem=fs, format="parquet", partitioning="hive"
    ).to_table()
    assert messages.num_rows == manifest["tables"]["messages"]["rows"]
    assert messages.num_rows == len(db_rows(engine, "messages"))

    victim = manifest["tables"]["users"]["files"][0]["path"]
    with fs.open_output_stream(f"{BUCKET}/exports/archive/{victim}") as stream:
        stream.write(b"not parquet any more")
    size = manifest["tables"]["users"]["files"][0]["bytes"]
    assert verify_archive(uri) == [f"{victim}: changed (size 20 vs {size}, sha256 differs)"]


def test_long_room_ids_on_s3(s3: str, sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    seed_workspace(engine, rooms=LONG_ROOMS, per_room=2)
    uri = f"s3://{BUCKET}/long"
    manifest = export_archive(engine, uri)
    export_archive(engine, uri)
    manifest = export_archive(engine, uri)  # re-archived twice: the old generations are gone

    assert verify_archive(uri) == []
    fs = _s3fs(s3)
    keys = [i.path for i in fs.get_file_info(pafs.FileSelector(f"{BUCKET}/long", recursive=True))]
    assert all(len(part.encode()) <= 255 for key in keys for part in key.split("/"))
    assert len([k for k in keys if k.endswith(".parquet") and "/messages/" in k]) == len(
        manifest["tables"]["messages"]["files"]
    )
    messages = ds.dataset(
        f"{BUCKET}/long/messages", filesystem=fs, format="parquet", partitioning="hive"
    ).to_table()
    expected = {(mid, row["rid"]) for mid, row in db_rows(engine, "messages").items()}
    assert _full_rids(messages, manifest) == expected
    engine.dispose()


def test_feed_to_s3_replays(s3: str, engine: sa.Engine) -> None:
    uri = f"s3://{BUCKET}/feed"
    assert export_feed(engine, uri).run == 1
    seed_workspace(engine, rooms=("later",), per_room=2)
    assert export_feed(engine, uri).run == 2
    assert verify_archive(uri) == []
    state = replay(uri)
    assert state["messages"] == db_rows(engine, "messages")
    assert state["message_reactions"] == db_rows(engine, "message_reactions")
