"""Uploads (`*.files`) over the simulator, on SQLite and PostgreSQL: full, then incremental after
new, changed and deleted files; the upload's file token never stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from etl.schema import metadata
from tests.sync.helpers import deleted_ids, live_rows

UPLOADS = metadata.tables["uploads"]


def expected_uploads(ws: Any, uid: str) -> dict[str, dict[str, Any]]:
    readable = ws.readable_room_ids(uid)
    return {
        fid: up
        for fid, up in ws.ground_truth()["uploads"].items()
        if up["rid"] in readable and not up.get("_hidden")
    }


def first_room_upload(ws: Any, kind: str = "c") -> dict[str, Any]:
    return next(u for u in ws.uploads.values() if ws.rooms[u["rid"]]["t"] == kind)


def test_full_then_incremental(syncer: Any) -> None:
    s = syncer()
    ws, admin = s.server.ws, s.creds["user_id"]
    summary = s.run(["uploads"])
    assert summary.ok, summary.errors
    rows = live_rows(s.engine, "uploads")
    expected = expected_uploads(ws, admin)
    assert expected and set(rows) == set(expected)
    some = next(iter(expected))
    assert rows[some] == {k: v for k, v in expected[some].items() if k != "token"}
    with s.engine.connect() as conn:
        stored = conn.execute(select(UPLOADS).where(UPLOADS.c.id == some)).one()
    assert stored.name == expected[some]["name"] and stored.size == expected[some]["size"]
    assert stored.user_username == expected[some]["user"]["username"]
    # linked to the message that carries it
    files = metadata.tables["message_files"]
    s.run(["messages"])
    with s.engine.connect() as conn:
        linked = conn.execute(
            select(files.c.message_id).join(UPLOADS, UPLOADS.c.id == files.c.file_id)
        ).all()
    assert linked

    # incremental: a new file, a changed file, a deleted and a hidden file message
    room = first_room_upload(ws)["rid"]
    new = ws.mutate.upload_file(room, admin, "notes.txt", "hello", "text/plain")
    changed = first_room_upload(ws)
    ws.mutate.change_file(changed["_id"], b"new bytes")
    ws.mutate.post_message(changed["rid"], admin, "moves the room")
    gone, hidden = [u for u in expected.values() if u["_id"] not in (changed["_id"],)][-2:]
    ws.mutate.delete_message(_message_of(ws, gone["_id"]), admin)
    ws.mutate.hide_message(_message_of(ws, hidden["_id"]))
    before = s.server.request_log.count("channels.files") + s.server.request_log.count(
        "groups.files"
    )
    summary = s.run(["uploads"])
    assert summary.ok, summary.errors
    walked = s.server.request_log.count("channels.files") + s.server.request_log.count(
        "groups.files"
    )
    assert walked - before <= 4  # only the rooms that moved
    rows = live_rows(s.engine, "uploads")
    assert new["_id"] in rows and "token" not in rows[new["_id"]]
    assert rows[changed["_id"]]["size"] == len(b"new bytes")
    assert {gone["_id"], hidden["_id"]} <= deleted_ids(s.engine, "uploads")
    assert set(rows) == set(expected_uploads(ws, admin))


def test_reconcile_reads_every_room_and_no_token_anywhere(syncer: Any) -> None:
    s = syncer()
    s.run(["uploads"])
    tokens = {u["token"] for u in s.server.ws.uploads.values()}
    summary = s.run(["uploads"], full=True)
    assert summary.ok and summary.resources["uploads"].rooms_walked > 0
    with s.engine.connect() as conn:
        dump = " ".join(str(tuple(r)) for r in conn.execute(select(UPLOADS)))
    assert not any(t in dump for t in tokens)


def _message_of(ws: Any, file_id: str) -> str:
    return next(
        m.id
        for m in ws.messages.by_id.values()
        if (m.doc().get("file") or {}).get("_id") == file_id
    )


def test_upload_row_without_token_and_old_user_field() -> None:
    from etl.normalise import normalise
    from tests.db.samples import SMALL_DOCS

    row = normalise("uploads", {**SMALL_DOCS["uploads"], "token": "28cAb868d9"}).row
    assert "token" not in row["raw"] and "28cAb868d9" not in str(row)
    assert (row["user_id"], row["user_username"], row["size"]) == (
        "ksKsKmrjvxzkzxkw",
        "rocket.cat",
        9778,
    )
    old = {k: v for k, v in SMALL_DOCS["uploads"].items() if k != "user"} | {"userId": "u9"}
    assert normalise("uploads", old).row["user_id"] == "u9"  # before 0.64.0


def test_deleting_a_room_deletes_its_uploads(sqlite_syncer: Any) -> None:
    s = sqlite_syncer()
    ws = s.server.ws
    s.run(["uploads"])
    room = first_room_upload(ws)["rid"]
    ids = {fid for fid, u in live_rows(s.engine, "uploads").items() if u["rid"] == room}
    ws.mutate.delete_room(room)
    assert not any(u["rid"] == room for u in ws.uploads.values())
    assert s.run(["uploads"]).ok
    assert ids and ids <= deleted_ids(s.engine, "uploads")
