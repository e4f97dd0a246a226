"""File downloads (`sync.files`) over the simulator: stored content-addressed (identical files
once), over-size skipped, changed files fetched again, 403 and 404 recorded without failing the
run, redirects followed without the credentials."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from etl.schema import metadata
from etl.simulator import SimOptions
from etl.simulator.objectstore import ObjectStoreServer
from etl.simulator.uploads import file_content

UPLOADS = metadata.tables["uploads"]


def rows(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            r.id: r for r in conn.execute(select(UPLOADS).where(UPLOADS.c.deleted_at.is_(None)))
        }


def files_settings(tmp_path: Path, **more: Any) -> dict[str, Any]:
    return {"download": True, "store": str(tmp_path / "store"), **more}


def joined_upload(ws: Any, uid: str) -> dict[str, Any]:
    return next(u for u in ws.uploads.values() if ws.is_subscribed(uid, u["rid"]))


def test_download_store_forbidden_and_identical_once(syncer: Any, tmp_path: Path) -> None:
    s = syncer(files=files_settings(tmp_path))
    ws, admin = s.server.ws, s.creds["user_id"]
    room = joined_upload(ws, admin)["rid"]
    a = ws.mutate.upload_file(room, admin, "a.txt", "same bytes", "text/plain")
    b = ws.mutate.upload_file(room, admin, "b.txt", "same bytes", "text/plain")
    summary = s.run(["uploads"])
    assert summary.ok, summary.errors
    got = rows(s.engine)
    stored = {k: r for k, r in got.items() if r.file_status == "stored"}
    forbidden = {k: r for k, r in got.items() if r.file_status == "forbidden"}
    assert stored and forbidden  # admin has not joined every readable channel
    assert summary.files == {"stored": len(stored), "forbidden": len(forbidden)}
    assert all(not ws.is_subscribed(admin, r.rid) for r in forbidden.values())
    assert all("join" in r.file_reason and r.file_checked_at for r in forbidden.values())
    for fid, row in stored.items():
        data = (tmp_path / "store" / row.file_stored_path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.file_sha256
        assert data == file_content(ws, ws.uploads[fid])
    assert got[a["_id"]].file_sha256 == got[b["_id"]].file_sha256
    blobs = [p for p in (tmp_path / "store" / "sha256").rglob("*") if p.is_file()]
    assert len(blobs) == len({r.file_sha256 for r in stored.values()})
    assert not list((tmp_path / "store" / ".partial").iterdir())
    # nothing changed: the next run fetches nothing
    s.server.files.requests.clear()
    again = s.run(["uploads"])
    assert again.files == {} and not s.server.files.requests


def test_over_size_skipped_and_changed_file_fetched_again(syncer: Any, tmp_path: Path) -> None:
    s = syncer(files=files_settings(tmp_path, max_size=1000, types=["text/*", ".bin"]))
    ws, admin = s.server.ws, s.creds["user_id"]
    room = joined_upload(ws, admin)["rid"]
    small = ws.mutate.upload_file(room, admin, "small.bin", b"x" * 10)
    big = ws.mutate.upload_file(room, admin, "big.txt", "y" * 5000, "text/plain")
    s.server.files.requests.clear()
    s.run(["uploads"])
    got = rows(s.engine)
    assert got[small["_id"]].file_status == "stored"
    assert got[big["_id"]].file_status == "skipped" and "max_size" in got[big["_id"]].file_reason
    pngs = [r for r in got.values() if r.type == "image/png"]
    assert pngs and all(r.file_status == "skipped" for r in pngs)
    assert {r.file_id for r in s.server.files.requests} == {small["_id"]}
    # the file changes on the server (new etag and size): fetched again
    ws.mutate.change_file(small["_id"], b"z" * 20)
    ws.mutate.post_message(room, admin, "the room moves")
    s.run(["uploads"])
    row = rows(s.engine)[small["_id"]]
    assert row.file_size == 20 and row.file_sha256 == hashlib.sha256(b"z" * 20).hexdigest()


def test_missing_file_recorded(syncer: Any, tmp_path: Path) -> None:
    s = syncer(files=files_settings(tmp_path))
    ws, admin = s.server.ws, s.creds["user_id"]
    room = joined_upload(ws, admin)["rid"]
    up = ws.mutate.upload_file(room, admin, "gone.txt", "soon gone", "text/plain")
    s.run(["uploads"])
    with s.engine.begin() as conn:  # not fetched yet (as after turning downloads on)...
        conn.execute(UPLOADS.update().values(file_status=None).where(UPLOADS.c.id == up["_id"]))
    with ws.lock:
        del ws.uploads[up["_id"]]  # ...and gone from the server (its room did not move)
    summary = s.run(["uploads"])
    assert summary.ok and summary.files == {"missing": 1}
    assert rows(s.engine)[up["_id"]].file_status == "missing"


def test_redirect_followed_without_credentials(
    serve: Any, syncer: Any, workspace: Any, tmp_path: Path
) -> None:
    store = ObjectStoreServer(workspace).start()
    try:
        s = syncer(SimOptions(file_redirect=store.url), files=files_settings(tmp_path))
        summary = s.run(["uploads"])
    finally:
        store.stop()
    assert summary.ok and summary.files.get("stored")
    assert store.received
    for headers in store.received:
        assert not {"x-auth-token", "x-user-id", "authorization", "cookie"} & set(headers)
    got = rows(s.engine)
    fid, row = next((k, r) for k, r in got.items() if r.file_status == "stored")
    assert (
        row.file_sha256
        == hashlib.sha256(file_content(workspace, workspace.uploads[fid])).hexdigest()
    )


def test_redirect_to_metadata_address_refused(syncer: Any, tmp_path: Path) -> None:
    s = syncer(
        SimOptions(file_redirect="http://169.254.169.254/latest"), files=files_settings(tmp_path)
    )
    summary = s.run(["uploads"])
    assert summary.ok and summary.files.get("refused") and "stored" not in summary.files
    row = next(r for r in rows(s.engine).values() if r.file_status == "refused")
    assert "link-local address 169.254.169.254" in row.file_reason


@pytest.mark.parametrize(
    ("server", "target", "refused"),
    [
        ("https://chat.example", "https://bucket.example/x", None),
        ("https://chat.example", "http://bucket.example/x", "only https"),
        ("http://chat.example", "http://bucket.example/x", None),
        ("https://chat.example", "https://meta.example/x", "link-local address 169.254.169.254"),
        ("https://chat.example", "https://lan.example/x", "private address 10.0.0.5"),
        ("https://chat.example", "https://127.0.0.1/x", "loopback address 127.0.0.1"),
        ("https://10.0.0.2", "https://lan.example/x", None),
        ("https://10.0.0.2", "https://meta.example/x", "link-local"),
        ("https://127.0.0.1", "https://[::1]/x", None),
        ("https://127.0.0.1", "https://lan.example/x", "private"),
        ("https://chat.example", "ftp://bucket.example/x", "refused"),
    ],
)
def test_redirect_rules(server: str, target: str, refused: str | None) -> None:
    from etl.files.redirects import refusal

    table = {
        "chat.example": ["93.184.216.34"],
        "bucket.example": ["52.216.0.1"],
        "meta.example": ["169.254.169.254"],
        "lan.example": ["10.0.0.5"],
        "10.0.0.2": ["10.0.0.2"],
        "127.0.0.1": ["127.0.0.1"],
        "::1": ["::1"],
    }
    reason = refusal(server, target, lambda host: table.get(host, []))
    assert (reason is None) if refused is None else (refused in (reason or ""))


def test_purge_removes_the_bytes_a_hold_keeps_them(syncer: Any, tmp_path: Path) -> None:
    from etl.load.holds import add_hold, remove_holds
    from etl.sync import reconcile
    from tests.sync.helpers import make_client
    from tests.sync.test_uploads import _message_of

    s = syncer(files=files_settings(tmp_path), deletion_policy="purge")
    ws, admin = s.server.ws, s.creds["user_id"]
    rooms = sorted({u["rid"] for u in ws.uploads.values() if ws.is_subscribed(admin, u["rid"])})
    free_room, held_room = rooms[0], rooms[1]
    free = ws.mutate.upload_file(free_room, admin, "free.txt", "bytes nobody holds", "text/plain")
    held = ws.mutate.upload_file(held_room, admin, "held.txt", "bytes under a hold", "text/plain")
    assert s.run(["messages", "uploads"]).ok
    before = rows(s.engine)
    store = tmp_path / "store"
    free_path, held_path = (store / before[u["_id"]].file_stored_path for u in (free, held))
    assert free_path.exists() and held_path.exists()
    with s.engine.begin() as conn:
        add_hold(conn, "room", held_room, target_name=None, created_by="legal")
    ws.clock.advance(5)
    for upload in (free, held):
        ws.mutate.delete_message(_message_of(ws, upload["_id"]), admin)
    summary = s.run(["messages", "uploads"])
    assert summary.ok, summary.errors
    after = rows(s.engine)
    with s.engine.connect() as conn:
        purged = conn.execute(select(UPLOADS.c.id).where(UPLOADS.c.id == free["_id"])).all()
        kept = conn.execute(select(UPLOADS).where(UPLOADS.c.id == held["_id"])).one()
    assert purged == [] and free["_id"] not in after  # the row is gone
    assert not free_path.exists()  # and so are its bytes
    assert kept.deleted_at is not None and held_path.exists()  # held: recorded, kept
    # every other stored file is still referenced and still there
    for row in after.values():
        if row.file_status == "stored":
            assert (store / row.file_stored_path).exists()
    # Removing the hold purges nothing by itself; the next reconcile applies the policy to
    # everything the hold kept: the upload's row, then its bytes.
    with s.engine.begin() as conn:
        assert remove_holds(conn, "room", held_room, removed_by="legal")
    assert s.run(["messages", "uploads"]).ok
    with s.engine.connect() as conn:
        assert conn.execute(select(UPLOADS.c.id).where(UPLOADS.c.id == held["_id"])).all()
    assert held_path.exists()
    with make_client(s.server.url, s.creds) as client:
        assert reconcile(s.settings, client, s.engine, ["messages", "uploads"]).ok
    with s.engine.connect() as conn:
        assert conn.execute(select(UPLOADS.c.id).where(UPLOADS.c.id == held["_id"])).all() == []
    assert not held_path.exists()
