"""Outermost ASGI layer: logs every request (as its answer starts) and injects the configured faults
before the app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

from etl.simulator.faults import FaultPlan
from etl.simulator.requestlog import RequestLog

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>nginx</center></body></html>"
)
PROXY_PAGE = (
    b"<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1>"
    b"</center><hr><center>nginx</center></body></html>"
)
PROXY_REFUSALS = {"403": (403, b"Forbidden"), "404": (404, b"Not Found")}
ERROR_5XX = (
    (500, b"application/json", b'{"success":false,"error":"Internal server error"}'),
    (502, b"text/html", HTML_PAGE),
    (503, b"text/html", b"<html><body><h1>503 Service Unavailable</h1></body></html>"),
    (504, b"text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>"),
)


def endpoint_of(path: str) -> str:
    if path.startswith("/api/v1/"):
        return path[8:]
    if path.startswith("/_sim/"):
        return "_sim/" + path[6:]
    return path.removeprefix("/api/").strip("/") or "/"


class FrontDoor:
    def __init__(
        self,
        app: Any,
        log: RequestLog,
        faults: FaultPlan,
        slow_seconds: float,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self.app = app
        self.now_ms = now_ms
        self.log = log
        self.faults = faults
        self.slow_seconds = slow_seconds
        self._counter = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = endpoint_of(scope["path"])
        fault = self.faults.pick(endpoint) if scope["path"].startswith("/api/") else None
        logged = [False]

        def record(status: int) -> None:
            if not logged[0]:
                logged[0] = True
                self.log.record(scope["method"], endpoint, status, fault)

        async def logged_send(message: dict[str, Any]) -> None:
            # Recorded before the first byte of the answer leaves, so the log is exact by the time
            # the client holds its answer (tests count requests right after a call returns).
            if message["type"] == "http.response.start":
                record(message["status"])
                if self.now_ms is not None:
                    # A real server's Date header comes from its own clock: the simulated one.
                    date = formatdate(self.now_ms() / 1000, usegmt=True).encode()
                    message = {**message, "headers": [*message.get("headers", []), (b"date", date)]}
            await send(message)

        try:
            if fault == "drop":
                record(0)
            await self.answer(fault, scope, receive, logged_send, send)
        finally:
            record(0)

    async def answer(
        self, fault: str | None, scope: dict[str, Any], receive: Any, send: Any, raw_send: Any
    ) -> None:
        if fault == "slow":
            await asyncio.sleep(self.slow_seconds)
        if fault == "5xx":
            self._counter += 1
            status, ctype, body = ERROR_5XX[self._counter % len(ERROR_5XX)]
            await _send_whole(send, status, ctype, body)
        elif fault in PROXY_REFUSALS:
            status, reason = PROXY_REFUSALS[fault]
            page = PROXY_PAGE % (status, reason, status, reason)
            await _send_whole(send, status, b"text/html", page)
        elif fault == "html":
            await _send_whole(send, 200, b"text/html; charset=utf-8", HTML_PAGE)
        elif fault == "drop":
            await _drop(raw_send)
        elif fault == "truncate":
            await self.app(scope, receive, _Truncating(send))
        else:
            await self.app(scope, receive, send)


async def _send_whole(send: Any, status: int, ctype: bytes, body: bytes) -> None:
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Any) -> None:
    """Close the socket without answering (uvicorn's cycle holds the transport)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if cycle is not None and transport is not None:
        transport.close()
        cycle.disconnected = True  # so uvicorn does not log a missing response as an app error
        return
    # Fallback for servers that hide the transport: promise a body, send half, then fail.
    headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"success":', "more_body": True})
    raise ConnectionAbortedError("simulated dropped connection")


class _Truncating:
    """Buffers the answer and sends only the first half of its body (a valid HTTP message)."""

    def __init__(self, send: Any) -> None:
        self.send = send
        self.start: dict[str, Any] | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(self.chunks)
        cut = body[: max(1, len(body) // 2)]
        assert self.start is not None
        headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": cut})
