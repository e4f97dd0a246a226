"""The simulator's upload routes: `*.files` (room access, default sort by name, hidden uploads
left out) and `/file-upload/<id>/<name>` (headers, Range, 404, 403 for a room not joined)."""

from __future__ import annotations

from typing import Any

import httpx

from etl.simulator.uploads import file_content


def _auth(creds: dict[str, str]) -> dict[str, str]:
    return {"X-User-Id": creds["user_id"], "X-Auth-Token": creds["token"]}


def test_files_listing_sorted_by_name_and_hidden_left_out(sim_server: Any) -> None:
    server = sim_server()
    ws, admin = server.ws, server.ws.credentials["admin"]
    room = next(u["rid"] for u in ws.uploads.values() if ws.rooms[u["rid"]]["t"] == "c")
    ws.mutate.upload_file(room, admin["user_id"], "zz.txt", "z")
    first = ws.mutate.upload_file(room, admin["user_id"], "aa.txt", "a")
    url = f"{server.url}/api/v1/channels.files"
    body = httpx.get(url, params={"roomId": room}, headers=_auth(admin)).json()
    names = [f["name"] for f in body["files"]]
    assert names == sorted(names) and names[0] == "aa.txt" and body["total"] == len(names)
    assert {"user", "token", "etag", "uploadedAt"} <= set(body["files"][0])
    mid = next(
        m.id
        for m in ws.messages.by_id.values()
        if (m.doc().get("file") or {}).get("_id") == first["_id"]
    )
    ws.mutate.hide_message(mid)
    body = httpx.get(url, params={"roomId": room}, headers=_auth(admin)).json()
    assert "aa.txt" not in [f["name"] for f in body["files"]]
    group = next(
        r
        for r in ws.rooms.values()
        if r["t"] == "p" and not ws.is_subscribed(admin["user_id"], r["_id"])
    )
    refused = httpx.get(
        f"{server.url}/api/v1/groups.files", params={"roomId": group["_id"]}, headers=_auth(admin)
    )
    assert refused.status_code == 400 and refused.json()["errorType"] == "error-room-not-found"


def test_download_headers_range_404_403(sim_server: Any) -> None:
    server = sim_server()
    ws, admin = server.ws, server.ws.credentials["admin"]
    up = next(u for u in ws.uploads.values() if ws.is_subscribed(admin["user_id"], u["rid"]))
    data = file_content(ws, up)
    url = f"{server.url}/file-upload/{up['_id']}/{up['name']}"
    whole = httpx.get(url, headers=_auth(admin))
    assert whole.status_code == 200 and whole.content == data
    for header in ("content-type", "content-disposition", "last-modified", "accept-ranges"):
        assert whole.headers[header]
    assert whole.headers["content-length"] == str(len(data))
    head = httpx.head(url, headers=_auth(admin))
    assert (
        head.status_code == 200
        and head.headers["content-length"] == str(len(data))
        and not head.content
    )
    part = httpx.get(url, headers=_auth(admin) | {"Range": "bytes=10-"})
    assert part.status_code == 206 and part.content == data[10:]
    assert part.headers["content-range"] == f"bytes 10-{len(data) - 1}/{len(data)}"
    past = httpx.get(url, headers=_auth(admin) | {"Range": f"bytes={len(data)}-"})
    assert past.status_code == 416
    cookie = httpx.get(url, cookies={"rc_uid": admin["user_id"], "rc_token": admin["token"]})
    assert cookie.status_code == 200
    unknown = httpx.get(f"{server.url}/file-upload/nope/x", headers=_auth(admin))
    assert unknown.status_code == 404 and unknown.content == b""
    assert httpx.get(url).status_code == 403
    other = next(u for u in ws.uploads.values() if not ws.is_subscribed(admin["user_id"], u["rid"]))
    denied = httpx.get(f"{server.url}/file-upload/{other['_id']}/x", headers=_auth(admin))
    assert denied.status_code == 403 and denied.content == b""
