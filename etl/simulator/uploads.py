"""Uploads: the `rocketchat_uploads` documents and their bytes, built from the generated file
messages, and the writes tests drive (upload, change, a file message deleted).

A generated upload's bytes are derived from its id and etag (no memory held for thousands of
files); uploaded or changed files keep their bytes in `Store.file_bytes`.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.ids import random_id
from etl.simulator.store import Store

STORE_NAME = "GridFS:Uploads"


def make_upload(
    rng: random.Random,
    fid: str,
    name: str,
    mime: str,
    size: int,
    rid: str,
    user: dict[str, Any],
    when: int,
) -> dict[str, Any]:
    """An upload as `*.files` lists it (the author as `user {_id, username, name}` since 0.64)."""
    path = f"/ufs/{STORE_NAME}/{fid}/{name}"
    return {
        "_id": fid,
        "name": name,
        "size": size,
        "type": mime,
        "rid": rid,
        "description": "",
        "store": STORE_NAME,
        "complete": True,
        "uploading": False,
        "extension": name.rsplit(".", 1)[-1] if "." in name else "",
        "progress": 1,
        "user": {"_id": user["_id"], "username": user.get("username"), "name": user.get("name")},
        "_updatedAt": iso(when),
        "instanceId": "simulatorInstance",
        "etag": random_id(rng),
        "path": path,
        "token": random_id(rng, 10),  # the file's own access token: never to be stored
        "uploadedAt": iso(when),
        "url": path,
    }


def add_generated_uploads(ws: Store, rng: random.Random) -> None:
    """One upload per live file message of the generated workspace, as `rooms.upload` made it."""
    for msg in ws.messages.by_id.values():
        doc = msg.doc()
        if msg.hidden or doc.get("t") or not isinstance(doc.get("file"), dict):
            continue
        files = doc.get("files") or [{}]
        fid, name = doc["file"]["_id"], doc["file"]["name"]
        size = int(files[0].get("size") or 1000)
        upload = make_upload(
            rng, fid, name, doc["file"]["type"], size, doc["rid"], doc["u"], msg.ts
        )
        ws.uploads[fid] = upload


def file_content(ws: Store, upload: dict[str, Any]) -> bytes:
    """The upload's bytes: stored ones, or derived from its id and etag (same id+etag, same
    bytes)."""
    stored = ws.file_bytes.get(upload["_id"])
    if stored is not None:
        return stored
    block = hashlib.sha256(f"{upload['_id']}:{upload['etag']}".encode()).digest() * 64
    size = int(upload["size"])
    return (block * (size // len(block) + 1))[:size]


def attach(upload: dict[str, Any]) -> dict[str, Any]:
    """The message fields `rooms.upload` + `sendFileMessage` write for an upload."""
    fid, name = upload["_id"], upload["name"]
    link = f"/file-upload/{fid}/{name}"
    return {
        "file": {"_id": fid, "name": name, "type": upload["type"]},
        "files": [{"_id": fid, "name": name, "type": upload["type"], "size": upload["size"]}],
        "attachments": [
            {
                "ts": upload["uploadedAt"],
                "title": name,
                "title_link": link,
                "title_link_download": True,
                "type": "file",
                "description": upload.get("description") or "",
            }
        ],
    }


def upload_deleted_with(ws: Store, doc: dict[str, Any], keep_history: bool, now: int) -> None:
    """Deleting a file's message: without KeepHistory the upload is deleted (into the trash),
    with it the upload is hidden (no longer listed, still served by id)."""
    fid = (doc.get("file") or {}).get("_id")
    upload = ws.uploads.get(fid) if isinstance(fid, str) else None
    if upload is None or not isinstance(fid, str):
        return
    if keep_history:
        upload.update(_hidden=True, _updatedAt=iso(now))
        return
    del ws.uploads[fid]
    ws.file_bytes.pop(fid, None)
    ws.put_in_trash("uploads", upload, now)


def uploads_of_room_deleted(ws: Store, rid: str, now: int) -> None:
    """Deleting a room deletes its files (`FileUpload.removeFilesByRoomId`)."""
    for fid in [k for k, up in ws.uploads.items() if up["rid"] == rid]:
        ws.file_bytes.pop(fid, None)
        ws.put_in_trash("uploads", ws.uploads.pop(fid), now)
