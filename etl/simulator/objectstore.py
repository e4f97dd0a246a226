"""The other host of a server that keeps its files in S3: the simulator's download route answers
302 to here (`SimOptions.file_redirect`), and this serves the bytes by file id to anyone holding
the signed URL. It records the headers it received, so tests can prove no credentials came."""

from __future__ import annotations

import threading

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from etl.simulator.faults import FaultPlan
from etl.simulator.frontdoor import FrontDoor
from etl.simulator.options import SimOptions
from etl.simulator.requestlog import RequestLog
from etl.simulator.routes_files import serve_bytes
from etl.simulator.server import SimServer
from etl.simulator.uploads import file_content
from etl.simulator.workspace import Workspace


class ObjectStoreServer(SimServer):
    """`GET|HEAD /<fileId>?X-Amz-Signature=...` on loopback; Range as S3 answers it."""

    def __init__(self, ws: Workspace, host: str = "127.0.0.1", port: int = 0) -> None:
        # Not the API: none of SimServer's routes, only its uvicorn start/stop.
        self.ws, self.host, self.port = ws, host, port
        self.options = SimOptions()
        self.activity = None
        self._server = self._thread = None
        self.request_log = RequestLog()
        self.received: list[dict[str, str]] = []  # the headers of every request
        self._lock = threading.Lock()
        routes = [Route("/{fid}", self.serve, methods=["GET", "HEAD"])]
        self.app = FrontDoor(Starlette(routes=routes), self.request_log, FaultPlan([], 0), 0.0)

    async def serve(self, request: Request) -> Response:
        with self._lock:
            self.received.append(dict(request.headers))
        with self.ws.lock:
            upload = self.ws.uploads.get(request.path_params["fid"])
            if upload is None or not request.query_params.get("X-Amz-Signature"):
                return Response(b"", 403)
            data, upload = file_content(self.ws, upload), dict(upload)
        return serve_bytes(request, data, upload)
