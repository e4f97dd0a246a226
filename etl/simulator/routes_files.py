"""`channels|groups|im.files` and `GET|HEAD /file-upload/<fileId>/<name>` (outside /api/v1).

The listings follow the room's own access rules (as `*.history`), sort by `{name: 1}` unless
told otherwise and leave hidden uploads out. The download route answers as
`app/file-upload/server/lib/requests.ts` does: 404 with an empty body for an unknown id, 403 with
an empty body without credentials or when the caller is not subscribed to the file's room (even
an admin: FileUpload_Restrict_to_room_members), else the bytes with their headers and Range.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from etl.simulator.clock import parse_date
from etl.simulator.lookup import room_of_kind
from etl.simulator.pagination import page_items, parse_sort, sort_docs, window
from etl.simulator.routing import LEGACY, PAGING, Ctx, Handler, Registry
from etl.simulator.uploads import file_content
from etl.simulator.workspace import Workspace

routes = Registry()
FILES_PARAMS = PAGING | LEGACY | {"roomId", "roomName", "username"}
CHUNK = 64 * 1024


def _files_for(kind: str) -> Handler:
    def handler(ctx: Ctx) -> dict[str, Any]:
        room = room_of_kind(ctx, kind)
        offset, count = page_items(ctx.ws, ctx.params)
        docs = [
            {k: v for k, v in up.items() if k != "_hidden"}
            for up in ctx.ws.uploads.values()
            if up["rid"] == room["_id"] and not up.get("_hidden")
        ]
        docs = sort_docs(docs, parse_sort(ctx.params, [("name", 1)]))
        page = window(docs, offset, count)
        return {"files": page, "count": len(page), "offset": offset, "total": len(docs)}

    return handler


routes.get("channels.files", allowed=FILES_PARAMS)(_files_for("c"))
routes.get("groups.files", allowed=FILES_PARAMS)(_files_for("p"))
routes.get(("im.files", "dm.files"), allowed=FILES_PARAMS)(_files_for("d"))


@dataclass
class FileRequest:
    """What a test checks about a download request: the file, its Range, its credentials."""

    file_id: str
    method: str
    range: str | None
    credentials: bool


@dataclass
class FileRoute:
    """The download route. `redirect_to` (a base URL) makes it answer 302 to another host, as a
    server keeping its files in S3 does; `bytes_per_s` throttles the bytes (kill tests)."""

    ws: Workspace
    redirect_to: str | None = None
    bytes_per_s: float | None = None
    requests: list[FileRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def caller(self, request: Request) -> str | None:
        h, c, q = request.headers, request.cookies, request.query_params
        uid = h.get("x-user-id") or c.get("rc_uid") or q.get("rc_uid")
        token = h.get("x-auth-token") or c.get("rc_token") or q.get("rc_token")
        if not uid or not token or self.ws.tokens.get(token) != uid:
            return None
        return uid

    async def handle(self, request: Request) -> Response:
        fid = request.path_params["fid"]
        uid = self.caller(request)
        with self.lock:
            self.requests.append(
                FileRequest(fid, request.method, request.headers.get("range"), uid is not None)
            )
        with self.ws.lock:
            upload = self.ws.uploads.get(fid)
            if upload is None:
                return Response(b"", 404)
            if uid is None or not self.ws.is_subscribed(uid, upload["rid"]):
                return Response(b"", 403)
            if self.redirect_to:
                target = f"{self.redirect_to.rstrip('/')}/{fid}?X-Amz-Signature=sim{upload['etag']}"
                return Response(b"", 302, {"Location": target})
            data = file_content(self.ws, upload)
            upload = dict(upload)
        return serve_bytes(request, data, upload, self.bytes_per_s)


def serve_bytes(
    request: Request, data: bytes, upload: dict[str, Any], bytes_per_s: float | None = None
) -> Response:
    """The bytes with the headers a real server sends; `Range: bytes=a-b` gives 206 (416 past
    the end)."""
    total = len(data)
    modified = parse_date(upload.get("uploadedAt") or "") or 0
    headers = {
        "Content-Type": upload.get("type") or "application/octet-stream",
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(upload.get('name') or '')}",
        "Last-Modified": formatdate(modified / 1000, usegmt=True),
        "Accept-Ranges": "bytes",
        "ETag": f'"{upload.get("etag", "")}"',
    }
    status, start, end = 200, 0, total - 1
    wanted = request.headers.get("range", "")
    if wanted.startswith("bytes="):
        first, _, last = wanted[6:].split(",")[0].partition("-")
        start = int(first) if first.strip().isdigit() else 0
        end = min(int(last), total - 1) if last.strip().isdigit() else total - 1
        if start >= total:
            return Response(b"", 416, {"Content-Range": f"bytes */{total}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    body = data[start : end + 1]
    headers["Content-Length"] = str(len(body))
    if request.method == "HEAD":
        return Response(b"", status, headers)
    if bytes_per_s is None:
        return Response(body, status, headers)
    return StreamingResponse(_throttled(body, bytes_per_s), status, headers)


async def _throttled(body: bytes, bytes_per_s: float) -> Any:
    for i in range(0, len(body), CHUNK):
        yield body[i : i + CHUNK]
        await asyncio.sleep(CHUNK / bytes_per_s)
