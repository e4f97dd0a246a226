"""What every resource step gets: settings, client, engine, summary, stop signal, progress."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from etl.client import Client
from etl.config import Settings
from etl.load.background import Builds
from etl.load.deletes import Policy
from etl.load.history_pending import Deferral
from etl.sync.summary import SyncSummary

log = logging.getLogger("etl.sync")


class SyncProgress(Protocol):
    """Receives progress events; `etl.sync.progress` has a rich display and a log-line variant."""

    def resource_started(self, resource: str, total: int | None = None) -> None: ...

    def advance(self, resource: str, items: int = 0, rooms: int = 0) -> None: ...

    def resource_finished(self, resource: str, summary: SyncSummary) -> None: ...


class NullProgress:
    def resource_started(self, resource: str, total: int | None = None) -> None:
        pass

    def advance(self, resource: str, items: int = 0, rooms: int = 0) -> None:
        pass

    def resource_finished(self, resource: str, summary: SyncSummary) -> None:
        pass


@dataclass
class SyncContext:
    settings: Settings
    client: Client
    engine: Engine
    summary: SyncSummary
    full: bool = False
    stop_event: threading.Event = field(default_factory=threading.Event)
    progress: SyncProgress = field(default_factory=NullProgress)
    # resources whose server ids must be compared with the database ids in this run
    reconcile: set[str] = field(default_factory=set)
    # a first load's messages step: its versions 1 come from one pass at its end
    # (etl.load.history_pending)
    defer_versions: Deferral | None = None
    # index builds of a first load running on the server meanwhile (PostgreSQL), joined at the end
    builds: Builds = field(default_factory=Builds)

    @property
    def stopped(self) -> bool:
        return self.stop_event.is_set()

    @property
    def policy(self) -> Policy:
        return self.settings.sync.deletion_policy

    @property
    def run_id(self) -> int | None:
        return self.summary.run_id

    def server_now(self) -> datetime:
        """The server's clock (from its Date headers), for `observed_at` of message versions."""
        return self.client.server_now()
