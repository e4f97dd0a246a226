"""SIGTERM/SIGINT → a stop event. Light to import: `rcetl daemon` installs it before anything
else, so a signal during start-up stops the daemon cleanly (exit 0) instead of killing it."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

log = logging.getLogger("jobs.daemon")


class StopEvent(threading.Event):
    """Set by SIGTERM/SIGINT; remembers which signal came, for the daemon to log."""

    received: str | None = None


def install_signal_handlers(stop_event: StopEvent) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        # Nothing but flags: the handler runs between two bytecodes of the main thread, which
        # may be inside an import or a log write. Logging from here (the JSON formatter imports
        # orjson on first use) re-entered the import machinery during start-up: a KeyError from
        # importlib's module lock, or a segmentation fault in orjson's module init.
        stop_event.received = signal.Signals(signum).name
        # The same event reaches the running sync, which commits its page in flight and returns.
        stop_event.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def log_received(stop_event: threading.Event) -> None:
    """Log the signal that set `stop_event`, if a signal did (outside the handler)."""
    received = getattr(stop_event, "received", None)
    if received:
        log.info("received %s", received)
