"""Typed errors and the one table from error class to outcome: retried or not, the daemon's
policy, the CLI's exit code, and whether the sync stops the run (`OUTCOMES`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    import sqlalchemy.engine

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


class DatabaseError(RcetlError):
    """The database cannot be opened, upgraded or written; the message names it (password masked)
    and gives the driver's reason in one line, never SQL or its parameters."""


class DatabaseUnavailableError(DatabaseError):
    """The database went away or cannot take writes for now (connection lost, disk full, a read-only
    file, a lock held too long): it may work again without a change to rcetl's configuration."""


class DatabaseBusyError(RcetlError):
    """Another rcetl process holds the database's writer lock (or its one-daemon lock)."""


class ExportError(RcetlError):
    """A Parquet or Iceberg export cannot be written, compacted or verified as asked."""


class FilterError(ExportError):
    """Export filters that name unknown tables or an empty time range."""


class ForeignManifestError(ExportError):
    """The destination already holds a different kind of export (an archive vs. a feed)."""


class CompactError(ExportError):
    """Nothing to compact: no manifest, or an unknown dataset name."""


class UnsafePathError(ExportError):
    """A path that would leave the output directory or that no filesystem can hold."""


# Documented exit codes (README "Exit codes"); click's own usage errors also exit with 2.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 4
EXIT_DATABASE = 5
EXIT_BUSY = 6
EXIT_INTERRUPTED = 130


class Outcome(NamedTuple):  # a NamedTuple, not a dataclass: `rcetl --help` imports this module
    """What an error means everywhere: `retry` (the client sends the request again, with backoff),
    `classification` (daemon: "transient" backs the job off, "terminal" pauses it), `exit_code`
    (the CLI), `aborts_run` (the sync stops the whole run, status "failed"; otherwise it records
    the failure for the resource or room and goes on, status "partial")."""

    retry: bool
    classification: Classification
    exit_code: int
    aborts_run: bool

    @property
    def run_status(self) -> str:
        return "failed" if self.aborts_run else "partial"


def _outcome(
    retry: bool, classification: Classification, exit_code: int, aborts_run: bool
) -> Outcome:
    return Outcome(retry, classification, exit_code, aborts_run)


# An error class, or the dotted name of one in a library imported only by the commands that use
# it ("sqlalchemy.exc.OperationalError"): this module is imported by `rcetl --help`, which must
# not import SQLAlchemy, and an exception of such a class cannot exist before its module is.
ErrorClass = type[BaseException] | str

# The one table from error class to outcome; the first matching row wins (subclasses first).
# Transient errors may go away by themselves; terminal ones need a person to change something.
OUTCOMES: tuple[tuple[ErrorClass, Outcome], ...] = (
    (TlsError, _outcome(False, "terminal", EXIT_UNREACHABLE, True)),
    # never retried: the wait was cut short on purpose; the engine ends the run as "stopped"
    (StopRequested, _outcome(False, "terminal", EXIT_INTERRUPTED, False)),
    (RateLimitedError, _outcome(True, "transient", EXIT_FAILURE, False)),
    (ServerError, _outcome(True, "transient", EXIT_FAILURE, False)),
    (MalformedResponseError, _outcome(True, "transient", EXIT_FAILURE, False)),
    # Still unreachable after every retry: the next resource or room would only wait as long.
    (TransportError, _outcome(True, "transient", EXIT_UNREACHABLE, True)),
    (AuthenticationError, _outcome(False, "terminal", EXIT_AUTH, True)),
    (PermissionDeniedError, _outcome(False, "terminal", EXIT_AUTH, False)),
    (NotFoundError, _outcome(False, "terminal", EXIT_FAILURE, False)),
    (BadRequestError, _outcome(False, "terminal", EXIT_FAILURE, False)),
    (ConfigError, _outcome(False, "terminal", EXIT_CONFIG, True)),
    (DatabaseBusyError, _outcome(False, "transient", EXIT_BUSY, True)),
    # The database went away, filled up or refuses writes for now: the next run may succeed, so
    # a daemon job backs off instead of stopping; every other database error needs a fix.
    (DatabaseUnavailableError, _outcome(False, "transient", EXIT_DATABASE, True)),
    (DatabaseError, _outcome(False, "terminal", EXIT_DATABASE, True)),
    ("sqlalchemy.exc.OperationalError", _outcome(False, "transient", EXIT_DATABASE, True)),
    ("sqlalchemy.exc.DisconnectionError", _outcome(False, "transient", EXIT_DATABASE, True)),
    ("sqlalchemy.exc.SQLAlchemyError", _outcome(False, "terminal", EXIT_DATABASE, True)),
    # Exports: a bad filter or destination, or storage (a disk, a bucket) that refuses a write.
    (ExportError, _outcome(False, "terminal", EXIT_FAILURE, False)),
    (OSError, _outcome(False, "terminal", EXIT_FAILURE, False)),
    (RcetlError, _outcome(False, "terminal", EXIT_FAILURE, False)),
)
# Anything else (a walk guard, a bug) needs a person; in a room walk it costs only that room.
UNEXPECTED = _outcome(False, "terminal", EXIT_FAILURE, False)


def outcome(exc: BaseException) -> Outcome:
    """The row of `OUTCOMES` for `exc`."""
    for error_class, found in OUTCOMES:
        if is_a(exc, error_class):
            return found
    return UNEXPECTED


def is_a(exc: BaseException, error_class: ErrorClass) -> bool:
    """isinstance, also for a class named by its dotted path (False while its module is not
    imported: no exception of it can exist yet)."""
    if not isinstance(error_class, str):
        return isinstance(exc, error_class)
    module_name, _, class_name = error_class.rpartition(".")
    module = sys.modules.get(module_name)
    return module is not None and isinstance(exc, getattr(module, class_name))


def is_database_error(exc: BaseException) -> bool:
    """A SQLAlchemy error (of any kind)."""
    return is_a(exc, "sqlalchemy.exc.SQLAlchemyError")


def classify(exc: BaseException) -> Classification:
    """Say whether `exc` is worth retrying later ("transient") or needs a fix ("terminal")."""
    return outcome(exc).classification


def safe_url(url: str | sqlalchemy.engine.URL) -> str:
    """A database URL for messages: the password replaced by ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def database_error(url: str | sqlalchemy.engine.URL | None, exc: BaseException) -> DatabaseError:
    """One line naming the database and the driver's reason (its first line: never the SQL or
    its parameters, which hold message texts), for any failure to use the database."""
    if isinstance(exc, DatabaseError):
        return exc
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    reason = lines[0].strip() if lines else type(cause).__name__
    unavailable = isinstance(exc, OSError) or any(is_a(exc, name) for name in _UNAVAILABLE)
    error_class = DatabaseUnavailableError if unavailable else DatabaseError
    where = f"database {safe_url(url)}" if url is not None else "database"
    return error_class(f"{where}: {reason}")


_UNAVAILABLE = ("sqlalchemy.exc.OperationalError", "sqlalchemy.exc.DisconnectionError")


def describe(exc: BaseException, database_url: str | sqlalchemy.engine.URL | None = None) -> str:
    """`exc` as one line for logs, `job_runs` and `sync_runs`: database errors lose their SQL."""
    if is_database_error(exc):
        exc = database_error(database_url, exc)
    return f"{type(exc).__name__}: {exc}"


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
