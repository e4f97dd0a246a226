"""`SimServer`: the simulator served by uvicorn on loopback, in a background thread."""

from __future__ import annotations

import threading
import time

import uvicorn

from etl.simulator.activity import Activity
from etl.simulator.app import ApiApp
from etl.simulator.faults import FaultPlan
from etl.simulator.frontdoor import FrontDoor
from etl.simulator.options import SimOptions
from etl.simulator.requestlog import RequestLog
from etl.simulator.workspace import Workspace


class SimServer:
    def __init__(
        self,
        ws: Workspace,
        options: SimOptions | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.ws = ws
        self.options = options or SimOptions()
        self.host = host
        self.port = port
        self.request_log = RequestLog()
        api = ApiApp(ws, self.options)
        self.files = api.files  # the download route and the requests it answered
        faults = FaultPlan(self.options.fault_specs(), self.options.fault_seed)
        self.app = FrontDoor(
            api.starlette, self.request_log, faults, self.options.slow_seconds, ws.clock.now
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.activity: Activity | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> SimServer:
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            http="httptools",
            loop="asyncio",
            access_log=False,
            log_level="warning",
            lifespan="off",
            date_header=False,  # FrontDoor sends the simulated clock's Date
            timeout_keep_alive=60,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="rcetl-simulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"simulator failed to start on {self.host}:{self.port}")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        if self.options.activity_per_s > 0:
            self.activity = Activity(
                self.ws, self.options.activity_per_s, self.options.activity_seed
            )
            self.activity.start()
        return self

    def stop(self) -> None:
        if self.activity is not None:
            self.activity.stop()
            self.activity = None
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> SimServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
