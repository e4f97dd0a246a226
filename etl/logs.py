"""Logging set-up: readable lines on a terminal (rich), JSON lines for machines."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Literal, TextIO

LogFormat = Literal["text", "json"]

# Attributes every LogRecord has; anything else was passed with `extra=` and goes into the JSON.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
# Libraries that are chatty at INFO/DEBUG; they only speak up at -vv.
_NOISY = ("httpx", "httpcore", "apscheduler", "alembic", "urllib3", "botocore", "s3transfer")
# Names the handler setup_logging adds, so that a repeat call replaces it and leaves others alone.
_HANDLER_NAME = "rcetl"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC ISO), level, logger, message, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        import orjson  # here: `rcetl COMMAND --help` sets up logging but never formats a record

        return orjson.dumps(entry, default=str).decode()


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def level_for(verbosity: int) -> int:
    """No -v: INFO; -v or more: DEBUG (-vv also lets the HTTP libraries speak)."""
    return logging.DEBUG if verbosity >= 1 else logging.INFO


class _RichOnFirstRecord(logging.Handler):
    """rich's handler, imported at the first record: a command that logs nothing (`--help`)
    does not pay for importing rich."""

    def __init__(self) -> None:
        super().__init__()
        self._rich: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._rich is None:
            from rich.console import Console
            from rich.logging import RichHandler

            self._rich = RichHandler(
                console=Console(stderr=True),
                show_path=False,
                rich_tracebacks=False,
                log_time_format="%H:%M:%S",
            )
            self._rich.setFormatter(self.formatter)
        self._rich.emit(record)


def setup_logging(
    fmt: LogFormat = "text", level: int | str = logging.INFO, verbosity: int = 0
) -> None:
    """Configure the root logger (repeat calls replace the handler this function added).

    Logs go to stderr so that command output on stdout stays clean for pipes.
    """
    handler: logging.Handler
    if fmt == "json":
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
    else:
        handler = _RichOnFirstRecord()
        handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == _HANDLER_NAME:
            root.removeHandler(old)
    handler.set_name(_HANDLER_NAME)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
