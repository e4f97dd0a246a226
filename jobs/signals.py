"""SIGTERM/SIGINT → a stop event. Light to import: `rcetl daemon` installs it before anything
else, so a signal during start-up stops the daemon cleanly (exit 0) instead of killing it."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

log = logging.getLogger("jobs.daemon")


def install_signal_handlers(stop_event: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        if not stop_event.is_set():
            log.info("received %s", signal.Signals(signum).name)
        # The same event reaches the running sync, which commits its page in flight and returns.
        stop_event.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
