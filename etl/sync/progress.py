"""Progress while a sync runs: a live rich display on a terminal, log lines otherwise."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from etl.sync.context import log
from etl.sync.summary import SyncSummary


class LogProgress:
    """One log line per resource when it finishes (for pipes, files, the daemon)."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    def resource_started(self, resource: str, total: int | None = None) -> None:
        self._started.setdefault(resource, time.monotonic())

    def advance(self, resource: str, items: int = 0, rooms: int = 0) -> None:
        pass

    def resource_finished(self, resource: str, summary: SyncSummary) -> None:
        counts = summary.counts(resource)
        seconds = time.monotonic() - self._started.pop(resource, time.monotonic())
        rooms = f", {counts.rooms_walked} room(s)" if counts.rooms_walked else ""
        log.info(
            "%s: %d upserted, %d deleted, %d quarantined%s, %d request(s), %.1fs",
            resource,
            counts.upserted,
            counts.deleted,
            counts.quarantined,
            rooms,
            counts.requests,
            seconds,
        )


class RichProgress(LogProgress):
    """Rooms done, messages per second, requests, retries and rate-limit waits, live."""

    def __init__(self, client: Any, console: Console | None = None) -> None:
        super().__init__()
        self._client = client
        self._items: dict[str, int] = {}
        self._tasks: dict[str, Any] = {}
        self._progress = Progress(
            TextColumn("[bold]{task.fields[resource]:<14}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("[dim]{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def _stats(self) -> str:
        stats = self._client.stats
        return (
            f"{stats.requests} req, {stats.retries} retries, "
            f"{stats.rate_limit_waits} rate-limit waits"
        )

    def resource_started(self, resource: str, total: int | None = None) -> None:
        super().resource_started(resource, total)
        if resource in self._tasks:
            if total is not None:
                self._progress.update(self._tasks[resource], total=total)
            return
        self._items[resource] = 0
        self._tasks[resource] = self._progress.add_task(
            resource, total=total, resource=resource, rate="", stats=self._stats()
        )

    def advance(self, resource: str, items: int = 0, rooms: int = 0) -> None:
        if resource not in self._tasks:
            self.resource_started(resource)
        self._items[resource] = self._items.get(resource, 0) + items
        elapsed = max(time.monotonic() - self._started.get(resource, time.monotonic()), 1e-3)
        rate = f"{self._items[resource] / elapsed:,.0f} items/s"
        self._progress.update(self._tasks[resource], advance=rooms, rate=rate, stats=self._stats())

    def resource_finished(self, resource: str, summary: SyncSummary) -> None:
        task = self._tasks.get(resource)
        if task is not None:
            counts = summary.counts(resource)
            done = counts.rooms_walked or 1
            self._progress.update(task, total=done, completed=done, stats=self._stats())
        super().resource_finished(resource, summary)
