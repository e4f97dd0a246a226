"""A download killed half way (SIGKILL of a real `rcetl sync`) resumes with a Range request on
the next run, and the stored file hashes right."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from etl.schema import metadata
from etl.simulator import SimOptions
from tests.cli._proc import start_rcetl, token_env

UPLOADS = metadata.tables["uploads"]
SIZE = 3 * 1024 * 1024


def test_killed_download_resumes_with_range(syncer: Any, tmp_path: Path) -> None:
    files = {"download": True, "store": str(tmp_path / "store"), "types": [".bin"]}
    s = syncer(SimOptions(file_bytes_per_s=1024 * 1024), files=files)
    ws, admin = s.server.ws, s.creds["user_id"]
    room = next(u["rid"] for u in ws.uploads.values() if ws.is_subscribed(admin, u["rid"]))
    data = os.urandom(SIZE)
    up = ws.mutate.upload_file(room, admin, "big.bin", data)
    env = token_env(s.creds) | {
        "RCETL_SERVER__URL": s.server.url,
        "RCETL_DATABASE__URL": s.settings.database.url,
        "RCETL_SYNC__FILES__DOWNLOAD": "true",
        "RCETL_SYNC__FILES__STORE": files["store"],
        "RCETL_SYNC__FILES__TYPES": "[.bin]",
    }
    proc = start_rcetl("sync", "uploads", env=env, stdout=-1, stderr=-1)
    partial = tmp_path / "store" / ".partial"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            parts = list(partial.glob(f"{up['_id']}-*.part")) if partial.exists() else []
            if parts and parts[0].stat().st_size > 256 * 1024:
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the download never started")
    finally:
        proc.kill()
        proc.wait(timeout=30)
    kept = parts[0].stat().st_size
    assert 0 < kept < SIZE
    s.server.files.requests.clear()
    summary = s.run(["uploads"])
    assert summary.ok, summary.errors
    ranges = [r.range for r in s.server.files.requests if r.file_id == up["_id"]]
    assert ranges and ranges[0] is not None and int(ranges[0][6:-1]) >= kept
    with s.engine.connect() as conn:
        row = conn.execute(select(UPLOADS).where(UPLOADS.c.id == up["_id"])).one()
    assert row.file_status == "stored" and row.file_size == SIZE
    assert row.file_sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "store" / row.file_stored_path).read_bytes() == data
