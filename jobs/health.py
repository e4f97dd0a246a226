"""Optional HTTP endpoint for ops (off unless `daemon.health_port` is set; loopback by default):
`GET /healthz` answers 200 when every enabled job is healthy, 503 with the reasons otherwise (JSON);
`GET /metrics` is the Prometheus text format. A plain stdlib server in a thread is enough here."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST

from etl.errors import ConfigError

log = logging.getLogger(__name__)

# () -> (healthy, body) and () -> Prometheus text
HealthSource = Callable[[], tuple[bool, dict[str, Any]]]
MetricsSource = Callable[[], bytes]


class HealthServer:
    def __init__(self, host: str, port: int, health: HealthSource, metrics: MetricsSource) -> None:
        handler = _handler_class(health, metrics)
        try:
            self._server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise ConfigError(
                f"daemon.health_port: cannot serve /healthz on {host}:{port}: {exc.strerror}"
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="rcetl-health", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # bound: the address comes from getsockname(), host as text
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()
        log.info("health endpoint listening on %s (/healthz, /metrics)", self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_class(health: HealthSource, metrics: MetricsSource) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                healthy, body = health()
                self._send(200 if healthy else 503, "application/json", orjson.dumps(body))
            elif path == "/metrics":
                self._send(200, CONTENT_TYPE_LATEST, metrics())
            else:
                self._send(404, "text/plain", b"not found: try /healthz or /metrics\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("health endpoint: " + format, *args)

    return Handler
