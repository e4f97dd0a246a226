"""Typed errors and the one table that says which of them are worth retrying."""

from __future__ import annotations

from typing import Literal

import sqlalchemy.exc

Classification = Literal["transient", "terminal"]


class RcetlError(Exception):
    """Base class of every error this package raises on purpose."""


class StopRequested(RcetlError):
    """A stop was asked for (Ctrl-C, SIGTERM, the daemon shutting down) while the client waited
    for a rate-limit window or a retry backoff. Not retried; the sync engine treats it as a stop:
    it commits what it has and returns with status "stopped"."""


class ConfigError(RcetlError):
    """The configuration (file, environment or command line) is invalid or incomplete."""


class ApiError(RcetlError):
    """A Rocket.Chat API call failed. The message always names the endpoint and the HTTP status."""

    def __init__(
        self,
        endpoint: str,
        status: int | None,
        message: str,
        error_type: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.status = status
        self.message = message
        self.error_type = error_type
        status_text = f"HTTP {status}" if status is not None else "no HTTP status"
        kind = f" [{error_type}]" if error_type and error_type not in message else ""
        super().__init__(f"{endpoint}: {status_text}: {message}{kind}")


class AuthenticationError(ApiError):
    """401: missing, wrong or expired credentials."""


class PermissionDeniedError(ApiError):
    """403: the credentials are valid but lack a permission."""


class NotFoundError(ApiError):
    """404: unknown endpoint (older server) or resource."""


class BadRequestError(ApiError):
    """400: Rocket.Chat's business errors; `error_type` holds the code, e.g. error-invalid-sort."""


class RateLimitedError(ApiError):
    """429: the server's per-endpoint rate limiter refused the call until `reset_ms` (epoch ms)."""

    def __init__(
        self,
        endpoint: str,
        status: int | None,
        message: str,
        error_type: str | None = None,
        reset_ms: int | None = None,
    ) -> None:
        super().__init__(endpoint, status, message, error_type)
        self.reset_ms = reset_ms


class ServerError(ApiError):
    """5xx from the server or a proxy in front of it."""


class MalformedResponseError(ApiError):
    """A body that is not the JSON object Rocket.Chat sends: HTML page, truncated or invalid JSON,
    or `success: false` on a 200 answer."""


class UndecodableBodyError(MalformedResponseError):
    """A JSON body that no decoder can read (nesting deeper than 1024 levels, broken syntax).
    Carries the original bytes and the request's parameters, so the sync can quarantine it whole
    after the retries."""

    def __init__(self, endpoint: str, status: int | None, message: str, body: bytes) -> None:
        super().__init__(endpoint, status, message)
        self.body = body
        self.params: dict[str, object] = {}


class TransportError(ApiError):
    """No usable HTTP answer: connection refused or dropped, DNS failure, timeout."""


class TlsError(TransportError):
    """The server's certificate failed verification: retrying will not fix it."""


# The one classification table: the retry policy and the daemon both read it.
# Transient errors may go away by themselves; terminal ones need a person to change something.
_CLASSIFICATION: tuple[tuple[type[BaseException], Classification], ...] = (
    (TlsError, "terminal"),
    (StopRequested, "terminal"),  # never retried: the wait was cut short on purpose
    (RateLimitedError, "transient"),
    (ServerError, "transient"),
    (MalformedResponseError, "transient"),
    (TransportError, "transient"),
    (AuthenticationError, "terminal"),
    (PermissionDeniedError, "terminal"),
    (NotFoundError, "terminal"),
    (BadRequestError, "terminal"),
    (ConfigError, "terminal"),
    # The database went away (PostgreSQL restarted, SQLite busy past its timeout): the next run
    # will reconnect, so a daemon job must not stop for it.
    (sqlalchemy.exc.OperationalError, "transient"),
    (sqlalchemy.exc.DisconnectionError, "transient"),
)


def classify(exc: BaseException) -> Classification:
    """Say whether `exc` is worth retrying later ("transient") or needs a fix ("terminal")."""
    for error_class, classification in _CLASSIFICATION:
        if isinstance(exc, error_class):
            return classification
    return "terminal"


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitedError,
}


def error_for_status(
    endpoint: str, status: int, message: str, error_type: str | None = None
) -> ApiError:
    """Build the typed error for an HTTP error status (any other 4xx is a BadRequestError)."""
    if status >= 500:
        return ServerError(endpoint, status, message, error_type)
    error_class = _BY_STATUS.get(status, BadRequestError)
    return error_class(endpoint, status, message, error_type)
