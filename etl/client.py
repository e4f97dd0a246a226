"""The Rocket.Chat REST client: the only module that speaks HTTP.

One `_send` does one HTTP exchange and turns every failure into a typed `etl.errors` exception;
one tenacity policy wraps it and retries what `etl.errors.classify` calls transient. Pacing per
endpoint lives in `etl.ratelimit`. Secrets never reach a log line or a repr.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import tenacity

from etl.config import RetrySettings, Settings
from etl.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigError,
    MalformedResponseError,
    RateLimitedError,
    TlsError,
    TransportError,
    classify,
    error_for_status,
)
from etl.ratelimit import RateLimiter, WindowSnapshot

log = logging.getLogger(__name__)

USER_AGENT = "rocketchat-etl/0.1"
INFO_PATH = "/api/info"
_WAIT_SECONDS = re.compile(r"wait (\d+(?:\.\d+)?) seconds")
_ERROR_CODE = re.compile(r"\[([\w.-]+)\]$")  # Rocket.Chat ends error texts with "[error-code]"


@dataclass(frozen=True)
class Credentials:
    """A personal access token with its user id, or a username and password (optional 2FA code)."""

    user_id: str | None = None
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    code: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not (self.token and self.user_id) and not (self.username and self.password):
            raise ConfigError("credentials need a token and user id, or a username and password")

    @property
    def mode(self) -> str:
        return "token" if self.token else "login"

    def __repr__(self) -> str:
        who = self.user_id if self.mode == "token" else self.username
        return f"Credentials(mode={self.mode!r}, user={who!r}, secret='***')"


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    by_endpoint: dict[str, int] = field(default_factory=dict)


class _StatsRecorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats = RequestStats()

    def request(self, endpoint: str) -> None:
        with self._lock:
            self._stats.requests += 1
            self._stats.by_endpoint[endpoint] = self._stats.by_endpoint.get(endpoint, 0) + 1

    def retry(self) -> None:
        with self._lock:
            self._stats.retries += 1

    def wait(self, seconds: float) -> None:
        with self._lock:
            self._stats.rate_limit_waits += 1
            self._stats.rate_limit_wait_seconds += seconds

    def snapshot(self) -> RequestStats:
        with self._lock:
            s = self._stats
            return RequestStats(
                s.requests, s.retries, s.rate_limit_waits, s.rate_limit_wait_seconds,
                dict(s.by_endpoint),
            )  # fmt: skip


def _retry_policy(retries: RetrySettings, stats: _StatsRecorder) -> tenacity.Retrying:
    backoff = tenacity.wait_exponential(
        multiplier=retries.backoff_initial, max=retries.backoff_max
    ) + tenacity.wait_random(0, retries.backoff_initial)

    def wait(state: tenacity.RetryCallState) -> float:
        # A 429 is waited out by the rate limiter before the next send, not by backoff.
        exc = state.outcome.exception() if state.outcome else None
        return 0.0 if isinstance(exc, RateLimitedError) else backoff(state)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        stats.retry()
        exc = state.outcome.exception() if state.outcome else None
        log.warning("retrying after attempt %d failed: %s", state.attempt_number, exc)

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: classify(exc) == "transient"),
        stop=tenacity.stop_after_attempt(retries.max_attempts),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )


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
    ) -> None:
        retries = retries or RetrySettings()
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            verify=ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        self._stats = _StatsRecorder()
        self._limiter = RateLimiter(max_wait=retries.max_rate_limit_wait)
        self._retrying = _retry_policy(retries, self._stats)
        self._auth_lock = threading.Lock()
        self._auth_headers: dict[str, str] | None = None
        self._auth_generation = 0
        if credentials.mode == "token":
            self._auth_headers = _auth_headers(credentials.token, credentials.user_id)
        self._info_lock = threading.Lock()
        self._info: dict[str, Any] | None = None

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
        )

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
        retrying = self._retrying.copy()
        return retrying(self._send_authenticated, method, endpoint, params, json, authenticated)

    def _send_authenticated(
        self,
        method: str,
        endpoint: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
        authenticated: bool,
    ) -> dict[str, Any]:
        if not authenticated:
            return self._send(method, endpoint, params, json, {})
        headers, generation = self._session()
        try:
            return self._send(method, endpoint, params, json, headers)
        except AuthenticationError:
            if self._credentials.mode != "login":
                raise
            # Login sessions expire; personal access tokens do not. Log in again once.
            log.info("session rejected by %s; logging in again", endpoint)
            headers = self._login(stale_generation=generation)
            return self._send(method, endpoint, params, json, headers)

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
            self._auth_headers = _auth_headers(data["authToken"], data["userId"])
            self._auth_generation += 1
            log.info("logged in as %s", creds.username)
            return self._auth_headers

    def _send(
        self,
        method: str,
        endpoint: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
        headers: Mapping[str, str],
    ) -> dict[str, Any]:
        key = f"{method} {endpoint}"
        waited = self._limiter.acquire(key)
        if waited:
            self._stats.wait(waited)
            log.info("waited %.2f s for the rate limit of %s", waited, endpoint)
        self._stats.request(endpoint)
        started = time.perf_counter()
        response_headers = None
        try:
            status, response_headers, body = self._exchange(method, endpoint, params, json, headers)
        finally:
            self._limiter.complete(key, response_headers)
        log.debug(
            "%s %s -> %d (%d bytes, %.1f ms)",
            method, endpoint, status, len(body), (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        if status >= 300:
            raise self._error(key, endpoint, status, response_headers, body)
        return _decode(endpoint, status, response_headers, body)

    def _exchange(
        self,
        method: str,
        endpoint: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
        headers: Mapping[str, str],
    ) -> tuple[int, httpx.Headers, bytes]:
        path = endpoint if endpoint.startswith("/") else f"/api/v1/{endpoint}"
        if json is not None:
            headers = {**headers, "Content-Type": "application/json"}
        request = self._http.build_request(
            method,
            path,
            params=params,
            content=orjson.dumps(json) if json is not None else None,
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

    def _error(
        self, key: str, endpoint: str, status: int, headers: httpx.Headers, body: bytes
    ) -> ApiError:
        if status < 400:
            where = headers.get("location", "?")
            message = f"redirected to {where}; set server.url to the final address"
            return BadRequestError(endpoint, status, message)
        doc = _loads(body)
        doc = doc if isinstance(doc, dict) else {}
        # Legacy 401 bodies carry the readable text in `message` and a bare code in `error`.
        texts = [str(doc[k]) for k in ("error", "message") if doc.get(k)]
        message = max(texts, key=len) if texts else _body_summary(headers, body)
        code = _ERROR_CODE.search(message)
        error_type = doc.get("errorType") or (code.group(1) if code else None)
        if status != 429:
            return error_for_status(endpoint, status, message, error_type)
        reset_ms = _reset_ms(headers, message, self._limiter.server_now_ms())
        self._limiter.observe_refusal(key, reset_ms)
        return RateLimitedError(endpoint, status, message, error_type, reset_ms=reset_ms)


def credentials_from_env(settings: Settings, environ: Mapping[str, str]) -> Credentials:
    """Read the secrets from the environment variables that `server.auth` names."""
    auth = settings.server.auth

    def required(setting: str, var: str) -> str:
        value = environ.get(var, "").strip()
        if not value:
            raise ConfigError(
                f"environment variable {var} is not set (named by server.auth.{setting}; "
                f"server.auth.mode is {auth.mode!r})"
            )
        return value

    if auth.mode == "token":
        return Credentials(
            user_id=required("user_id_env", auth.user_id_env),
            token=required("token_env", auth.token_env),
        )
    code = environ.get(auth.code_env, "").strip() if auth.code_env else ""
    return Credentials(
        username=required("username_env", auth.username_env),
        password=required("password_env", auth.password_env),
        code=code or None,
    )


def _caused_by(exc: BaseException | None, kind: type[BaseException]) -> bool:
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _auth_headers(token: str | None, user_id: str | None) -> dict[str, str]:
    return {"X-Auth-Token": token or "", "X-User-Id": user_id or ""}


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _decode(endpoint: str, status: int, headers: httpx.Headers, body: bytes) -> dict[str, Any]:
    doc = _loads(body)
    if not isinstance(doc, dict):
        raise MalformedResponseError(endpoint, status, _body_summary(headers, body))
    # v1 endpoints answer {success: bool}; login/logout still use the legacy {status: ...}.
    if doc.get("success") is False or ("success" not in doc and doc.get("status") == "error"):
        message = str(doc.get("error") or doc.get("message") or "no error text")
        raise MalformedResponseError(
            endpoint, status, f"success:false on a {status} answer: {message}", doc.get("errorType")
        )
    return doc


def _body_summary(headers: httpx.Headers, body: bytes) -> str:
    content_type = headers.get("content-type", "no content type")
    if not body:
        return f"empty body ({content_type})"
    if body.lstrip()[:1] == b"<" or "html" in content_type:
        return f"HTML page instead of JSON ({len(body)} bytes, {content_type})"
    return f"truncated or invalid JSON ({len(body)} bytes, {content_type})"


def _reset_ms(headers: httpx.Headers, message: str, server_now_ms: float) -> int:
    """When a 429 ends: X-RateLimit-Reset if sent, else the "You must wait N seconds" text."""
    header = headers.get("x-ratelimit-reset")
    if header and header.isdigit():
        return int(header)
    match = _WAIT_SECONDS.search(message)
    seconds = float(match.group(1)) if match else 1.0
    return int(server_now_ms + seconds * 1000)
