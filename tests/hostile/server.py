"""A deliberately hostile Rocket.Chat: just enough of the REST API for `run_sync` (login/me/info,
rooms.get, the room listings, chat.syncMessages in cursor and lastUpdate mode, the offset
listings), serving whatever a test scripts: malformed items, broken bodies, cursors that do not
move, totals that lie, clocks that jump.

Items are served in list order; an item's position on the cursor is its `_updatedAt` when that is
a date, else the position of the item before it (junk rides along with its neighbour). Answers
may be replaced per endpoint by `Script.answer[endpoint] = fn(params, call_number)` returning a
dict (JSON), bytes (sent verbatim), a `(status, dict | bytes)` pair, or None (the default).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Answer = dict[str, Any] | bytes | tuple[int, dict[str, Any] | bytes]
Scripted = Callable[[dict[str, str], int], Answer | None]  # None: the default answer
USER = {"_id": "hostile-admin", "username": "admin", "roles": ["admin"]}
TOKEN = "hostile-token"
NOT_PERMITTED = (403, {"success": False, "error": "unauthorized"})
# endpoint -> key of the listed items (what etl.catalogue reads)
LISTINGS = {
    "channels.list": "channels",
    "groups.listAll": "groups",
    "im.list.everyone": "ims",
    "rooms.adminRooms": "rooms",
    "users.list": "users",
    "settings.public": "settings",
    "custom-sounds.list": "sounds",
    "teams.listAll": "teams",
    "emoji-custom.all": "emojis",
    "channels.members": "members",
    "groups.members": "members",
    "chat.getThreadsList": "threads",
    "channels.messages": "messages",
    "groups.messages": "messages",
    "chat.getDeletedMessages": "messages",
}


def stamp_ms(value: Any) -> int | None:
    """Epoch ms of an ISO date or a plausible epoch number (kept apart from etl: the server must
    not share the code it tests)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e15:
        return int(value)
    if not isinstance(value, str):
        return None
    try:
        return round(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"


def message(mid: str, rid: str, ms: int, text: str = "hello", **extra: Any) -> dict[str, Any]:
    """A plausible message document."""
    stamp = iso(ms)
    doc = {"_id": mid, "rid": rid, "msg": text, "ts": stamp, "_updatedAt": stamp}
    doc["u"] = {"_id": USER["_id"], "username": USER["username"]}
    return {**doc, **extra}


def room(rid: str, ms: int, **extra: Any) -> dict[str, Any]:
    """A plausible public channel document."""
    doc = {"_id": rid, "t": "c", "name": rid, "_updatedAt": iso(ms), "msgs": 0, "usersCount": 1}
    doc["u"] = {"_id": USER["_id"], "username": USER["username"]}
    return {**doc, **extra}


@dataclass
class Script:
    """What the server answers. Tests mutate it between runs."""

    rooms: list[Any] = field(default_factory=list)  # rooms.get `update`, and channels.list
    messages: dict[str, list[Any]] = field(default_factory=dict)  # room id -> items, in order
    lists: dict[str, list[Any]] = field(default_factory=dict)  # offset listings by endpoint
    answer: dict[str, Scripted] = field(default_factory=dict)
    clamp: int = 100  # API_Upper_Count_Limit (also what count=0 becomes)
    total_lies: bool = False  # `total` = the page's size
    ignore_next: bool = False  # chat.syncMessages serves the first page whatever `next` says
    old_server: bool = False  # no cursor mode: `type`/`next` are refused with a 400
    delay_s: float = 0.0  # every chat.syncMessages answer waits this long


@dataclass
class Call:
    endpoint: str
    params: dict[str, str]


def _position(items: list[Any]) -> list[int]:
    keys, last = [], 1
    for item in items:
        ms = stamp_ms(item.get("_updatedAt")) if isinstance(item, dict) else None
        last = ms if ms is not None else last
        keys.append(last)
    return keys


class HostileApp:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self.starlette = Starlette(
            routes=[
                Route("/api/info", self.info, methods=["GET"]),
                Route("/api/v1/{endpoint:path}", self.dispatch, methods=["GET", "POST"]),
            ]
        )

    def count(self, endpoint: str | None = None) -> int:
        with self._lock:
            return sum(1 for c in self.calls if endpoint is None or c.endpoint == endpoint)

    async def info(self, request: Request) -> Response:
        return _json({"version": "6.5.0", "success": True})

    async def dispatch(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        params = dict(request.query_params)
        with self._lock:
            self.calls.append(Call(endpoint, params))
            number = sum(1 for c in self.calls if c.endpoint == endpoint)
        if request.headers.get("x-auth-token") != TOKEN:
            return _json({"status": "error", "message": "You must be logged in to do this."}, 401)
        if endpoint == "chat.syncMessages" and self.script.delay_s:
            await asyncio.sleep(self.script.delay_s)
        scripted = self.script.answer.get(endpoint)
        result = scripted(params, number) if scripted else None
        return _response(self.default(endpoint, params) if result is None else result)

    def default(self, endpoint: str, params: dict[str, str]) -> Answer:
        if endpoint == "me":
            return {**USER, "success": True}
        if endpoint == "rooms.get":
            since = stamp_ms(params.get("updatedSince")) if params.get("updatedSince") else None
            items = self.script.rooms
            if since is not None:
                items = [i for i, k in zip(items, _position(items), strict=True) if k > since]
            return {"update": items, "remove": [], "success": True}
        if endpoint == "chat.syncMessages":
            return self.sync_messages(params)
        if endpoint == "channels.list":
            return self.offset_page("channels", self.script.rooms, params)
        if endpoint in ("groups.listAll", "im.list.everyone", "rooms.adminRooms"):
            return NOT_PERMITTED
        if endpoint in LISTINGS:
            items = self.script.lists.get(endpoint, [])
            return self.offset_page(LISTINGS[endpoint], items, params)
        return 404, {"success": False, "error": f"unknown endpoint {endpoint}"}

    def offset_page(self, key: str, items: list[Any], params: dict[str, str]) -> Answer:
        offset, count = int(params.get("offset", 0)), int(params.get("count", 50))
        count = self.script.clamp if count == 0 else min(count, self.script.clamp)
        page = items[offset : offset + count]
        total = len(page) if self.script.total_lies else len(items)
        return {key: page, "count": len(page), "offset": offset, "total": total, "success": True}

    def sync_messages(self, params: dict[str, str]) -> Answer:
        items = self.script.messages.get(params.get("roomId", ""), [])
        if "lastUpdate" in params:
            since = stamp_ms(params["lastUpdate"]) or 0
            keys = _position(items)
            updated = [i for i, k in zip(items, keys, strict=True) if k > since]
            return {"result": {"updated": updated, "deleted": []}, "success": True}
        if self.script.old_server:
            return 400, {"success": False, "error": "Match error: Unknown key in field type"}
        if params.get("type") == "DELETED":
            return {"result": {"deleted": [], "cursor": {"next": None}}, "success": True}
        after = 0 if self.script.ignore_next else int(params.get("next") or 0)
        count = int(params.get("count") or 50)
        served = [(i, k) for i, k in zip(items, _position(items), strict=True) if k > after]
        page = served[:count]
        cursor = {"next": str(page[-1][1]) if page else None, "previous": None}
        return {"result": {"updated": [i for i, _ in page], "cursor": cursor}, "success": True}


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _response(result: Answer) -> Response:
    status, body = result if isinstance(result, tuple) else (200, result)
    if isinstance(body, bytes):
        return Response(body, status, media_type="application/json")
    return _json(body, status)


class HostileServer:
    """The app on a loopback port, in a background thread (as etl.simulator.SimServer)."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self.app = HostileApp(self.script)
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def count(self, endpoint: str | None = None) -> int:
        return self.app.count(endpoint)

    def calls(self, endpoint: str) -> list[dict[str, str]]:
        return [c.params for c in self.app.calls if c.endpoint == endpoint]

    def start(self) -> HostileServer:
        config = uvicorn.Config(
            self.app.starlette, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("hostile server failed to start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
