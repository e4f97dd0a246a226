"""The Rocket.Chat REST client: the only module that speaks HTTP.

One `_send` does one HTTP exchange and turns every failure into a typed `etl.errors` exception
(`etl.responses` reads the bodies); the one policy of `etl.retry` wraps it. Pacing per endpoint
lives in `etl.ratelimit`. Secrets never reach a log line or a repr.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import orjson

from etl.config import RetrySettings, Settings, split_userinfo
from etl.credentials import Credentials, auth_headers, credentials_from_env
from etl.errors import (
    AuthenticationError,
    MalformedResponseError,
    RateLimitedError,
    StopRequested,
    TlsError,
    TransportError,
    UndecodableBodyError,
)
from etl.ratelimit import RateLimiter, WindowSnapshot
from etl.request_stats import RequestRecorder, RequestStats
from etl.responses import decode_answer, error_from_answer
from etl.retry import retry_policy
from etl.server_clock import ServerClock

__all__ = ["Client", "Credentials", "RequestStats", "RocketChatClient", "credentials_from_env"]

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = "rocketchat-etl/0.1"
INFO_PATH = "/api/info"


class Client(Protocol):
    """What the sync needs of a client (`RocketChatClient` is the one implementation)."""

    base_url: str
    # per endpoint, the largest answer proven complete (etl.walkers: one server, one client)
    complete_sizes: dict[str, int]

    def get(self, endpoint: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]: ...
    def server_info(self) -> dict[str, Any]: ...
    def server_version(self) -> str: ...
    def server_time_ms(self) -> float | None: ...
    def server_now(self) -> datetime: ...
    def interrupt_waits_on(self, event: threading.Event | None) -> threading.Event | None: ...
    def stream(
        self, path: str, headers: Mapping[str, str]
    ) -> AbstractContextManager[httpx.Response]: ...
    def retrying(self, attempt: Callable[[], T]) -> T: ...
    @property
    def stats(self) -> RequestStats: ...


class RocketChatClient:
    """Thread-safe client for the Rocket.Chat REST API (`/api/v1/<endpoint>`)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        ca_bundle: Path | None = None,
        retries: RetrySettings | None = None,
        max_connections: int = 10,
        basic_auth: tuple[str, str] | None = None,
    ) -> None:
        retries = retries or RetrySettings()
        # The one place the server URL enters: a `user:password@` in it becomes HTTP Basic
        # credentials (for a proxy in front of the server) and never appears in `base_url`, which
        # every error message, log line and run record uses.
        clean_url, userinfo = split_userinfo(base_url)
        self.base_url = clean_url.rstrip("/")
        self._credentials = credentials
        basic_auth = basic_auth or userinfo
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(*basic_auth) if basic_auth else None,
            timeout=timeout,
            verify=ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        self._stats = RequestRecorder()
        self._stop_event: threading.Event | None = None
        self._limiter = RateLimiter(max_wait=retries.max_rate_limit_wait, sleep=self._wait)
        self._retrying = retry_policy(retries, on_retry=self._stats.retry, sleep=self._wait)
        self._auth_lock = threading.Lock()
        self._auth_headers: dict[str, str] | None = None
        self._auth_generation = 0
        if credentials.mode == "token":
            self._auth_headers = auth_headers(credentials.token, credentials.user_id)
        self._info_lock = threading.Lock()
        self._info: dict[str, Any] | None = None
        self._server_clock = ServerClock()
        # etl.walkers: per endpoint, the largest answer proven complete (no clamp below it)
        self.complete_sizes: dict[str, int] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] = os.environ
    ) -> RocketChatClient:
        server = settings.server
        return cls(
            str(server.url),
            credentials_from_env(settings, environ),
            timeout=server.timeout,
            ca_bundle=server.ca_bundle,
            retries=settings.sync.retries,
            max_connections=max(server.max_connections, settings.sync.concurrency),
            basic_auth=server.basic_auth,
        )

    def interrupt_waits_on(self, event: threading.Event | None) -> threading.Event | None:
        """Let `event` cut short rate-limit waits and retry backoffs (they raise StopRequested
        as soon as it is set; a window can last 60 s). Returns the event it replaces."""
        previous, self._stop_event = self._stop_event, event
        return previous

    def _wait(self, seconds: float) -> None:
        event = self._stop_event
        if event is None:
            time.sleep(seconds)
        elif event.wait(seconds):
            raise StopRequested(f"stop requested during a {seconds:.1f} s wait")

    def __repr__(self) -> str:
        return f"RocketChatClient({self.base_url!r}, {self._credentials!r})"

    def __enter__(self) -> RocketChatClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- public calls -------------------------------------------------------------------------

    def get(self, endpoint: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._call("GET", endpoint, params=params)

    def post(self, endpoint: str, json: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._call("POST", endpoint, json=json)

    @contextmanager
    def stream(self, path: str, headers: Mapping[str, str]) -> Iterator[httpx.Response]:
        """GET `path` on the server (a file download, outside /api/v1) with the session's
        credentials, the answer streamed and redirects NOT followed (etl.files decides where the
        credentials may go). Errors are raw httpx ones: the caller types them."""
        auth, _ = self._session()
        self._stats.request("file-upload")
        with self._http.stream("GET", path, headers={**headers, **auth}) as response:
            self._server_clock.observe(response.headers.get("date"))
            yield response

    def retrying(self, attempt: Callable[[], T]) -> T:
        """`attempt` under the one retry policy (downloads stream outside `_call`)."""
        return self._retrying.copy()(attempt)

    def server_info(self) -> dict[str, Any]:
        """GET /api/info once; later calls return the cached answer."""
        with self._info_lock:
            if self._info is None:
                self._info = self._call("GET", INFO_PATH, authenticated=False)
            return self._info

    def server_version(self) -> str:
        """The server's version string. Old servers nest it under `info`; new ones do not."""
        info = self.server_info()
        return str(info.get("version") or info.get("info", {}).get("version") or "unknown")

    def server_time_ms(self) -> float | None:
        """The server's current time (epoch ms) from its Date headers; None before any answer."""
        return self._server_clock.now_ms()

    def server_now(self) -> datetime:
        """The server's clock from the Date headers of its answers (the local clock before any)."""
        ms = self.server_time_ms()
        return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms is not None else datetime.now(UTC)

    @property
    def stats(self) -> RequestStats:
        return self._stats.snapshot()

    def rate_limits(self) -> dict[str, WindowSnapshot]:
        """Rate-limit windows seen so far, per "METHOD endpoint" (empty: no headers seen)."""
        return self._limiter.snapshot()

    # -- plumbing -----------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        authenticated: bool = True,
    ) -> dict[str, Any]:
        call = _Call(method, endpoint, params, json, authenticated)
        return self._retrying.copy()(self._send_authenticated, call)

    def _send_authenticated(self, call: _Call) -> dict[str, Any]:
        if not call.authenticated:
            return self._send(call, {})
        headers, generation = self._session()
        try:
            return self._send(call, headers)
        except AuthenticationError:
            if self._credentials.mode != "login":
                raise
            # Login sessions expire; personal access tokens do not. Log in again once.
            log.info("session rejected by %s; logging in again", call.endpoint)
            return self._send(call, self._login(stale_generation=generation))

    def _session(self) -> tuple[dict[str, str], int]:
        with self._auth_lock:
            headers, generation = self._auth_headers, self._auth_generation
        if headers is None:
            headers = self._login(stale_generation=generation)
            generation += 1
        return headers, generation

    def _login(self, stale_generation: int) -> dict[str, str]:
        with self._auth_lock:
            if self._auth_generation != stale_generation and self._auth_headers is not None:
                return self._auth_headers  # another thread logged in meanwhile
            creds = self._credentials
            body: dict[str, Any] = {"user": creds.username, "password": creds.password}
            if creds.code:
                body["code"] = creds.code
            answer = self._call("POST", "login", json=body, authenticated=False)
            data = answer.get("data") or {}
            if not data.get("authToken") or not data.get("userId"):
                raise MalformedResponseError("login", 200, "login answer without authToken/userId")
            self._auth_headers = auth_headers(data["authToken"], data["userId"])
            self._auth_generation += 1
            log.info("logged in as %s", creds.username)
            return self._auth_headers

    def _send(self, call: _Call, headers: Mapping[str, str]) -> dict[str, Any]:
        """One HTTP exchange, paced per endpoint; every failure becomes a typed error."""
        key, endpoint = call.key, call.endpoint
        waited = self._limiter.acquire(key)
        if waited:
            self._stats.wait(waited)
            log.info("waited %.2f s for the rate limit of %s", waited, endpoint)
        self._stats.request(endpoint)
        started = time.perf_counter()
        response_headers = None
        try:
            status, response_headers, body = self._exchange(call, headers)
        finally:
            self._limiter.complete(key, response_headers)
        self._server_clock.observe(response_headers.get("date"))
        log.debug(
            "%s -> %d (%d bytes, %.1f ms)",
            key, status, len(body), (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        if status >= 300:
            now_ms = self._limiter.server_now_ms()
            error = error_from_answer(endpoint, status, response_headers, body, now_ms)
            if isinstance(error, RateLimitedError) and error.reset_ms is not None:
                self._limiter.observe_refusal(key, error.reset_ms)
            raise error
        try:
            return decode_answer(endpoint, status, response_headers, body)
        except UndecodableBodyError as exc:
            exc.params = dict(call.params or {})
            raise

    def _exchange(
        self, call: _Call, headers: Mapping[str, str]
    ) -> tuple[int, httpx.Headers, bytes]:
        endpoint = call.endpoint
        if call.json is not None:
            headers = {**headers, "Content-Type": "application/json"}
        request = self._http.build_request(
            call.method,
            endpoint if endpoint.startswith("/") else f"/api/v1/{endpoint}",
            params=call.params,
            content=orjson.dumps(call.json) if call.json is not None else None,
            headers=headers,
        )
        try:
            response = self._http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            message = f"{self.base_url} timed out ({type(exc).__name__})"
            raise TransportError(endpoint, None, message) from exc
        except httpx.TransportError as exc:
            message = f"cannot reach {self.base_url}: {type(exc).__name__}: {exc}"
            if _caused_by(exc, ssl.SSLCertVerificationError):
                hint = "; set server.ca_bundle if the server uses a private CA"
                raise TlsError(endpoint, None, message + hint) from exc
            raise TransportError(endpoint, None, message) from exc
        try:
            body = response.read()
        except httpx.TimeoutException as exc:
            raise TransportError(endpoint, response.status_code, "timed out reading body") from exc
        except httpx.TransportError as exc:
            message = f"body truncated: connection closed while reading ({type(exc).__name__})"
            raise MalformedResponseError(endpoint, response.status_code, message) from exc
        finally:
            response.close()
        return response.status_code, response.headers, body


@dataclass(frozen=True)
class _Call:
    method: str
    endpoint: str  # "chat.syncMessages" (under /api/v1/) or an absolute path such as "/api/info"
    params: Mapping[str, Any] | None
    json: Mapping[str, Any] | None
    authenticated: bool

    @property
    def key(self) -> str:
        """Rocket.Chat limits each route and method separately."""
        return f"{self.method} {self.endpoint}"


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
