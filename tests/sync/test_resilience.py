"""Rate limiting, injected faults and a stop request slow a sync or cut it short, but never change
what ends up in the database."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select

from etl.schema import metadata
from etl.simulator import SimOptions
from etl.sync import SyncSummary
from etl.sync.context import NullProgress
from tests.sync.helpers import assert_level_with_server


def test_rate_limited_sync_equals_ground_truth(sqlite_syncer: Any) -> None:
    # The admin loses api-bypass-rate-limit: 10 calls per 1 s window per endpoint.
    sync = sqlite_syncer(SimOptions(rate_limit=(10, 1.0), bypass_roles=()), message_page_size=100)
    summary = sync.run()
    assert summary.status == "ok", summary.errors
    assert summary.rate_limit_waits > 0
    assert sync.server.request_log.count(status=429) <= summary.retries
    assert_level_with_server(sync.engine, sync.server.ws, sync.creds)


def test_faults_slow_the_sync_but_do_not_change_it(sqlite_syncer: Any) -> None:
    faults = "5xx=0.08,drop=every:13,html=0.03,truncate=0.03"
    sync = sqlite_syncer(
        SimOptions(faults=faults, fault_seed=3), message_page_size=60, concurrency=3
    )
    summary = sync.run()
    assert summary.status == "ok", summary.errors
    assert summary.retries > 0
    assert_level_with_server(sync.engine, sync.server.ws, sync.creds)


class StopAfter(NullProgress):
    """Asks the engine to stop once `items` documents were written."""

    def __init__(self, event: threading.Event, items: int) -> None:
        self.event, self.left = event, items

    def advance(self, resource: str, items: int = 0, rooms: int = 0) -> None:
        self.left -= items
        if resource == "messages" and self.left <= 0:
            self.event.set()


def test_stop_event_commits_pages_in_flight_and_resumes(sqlite_syncer: Any) -> None:
    sync = sqlite_syncer(message_page_size=50, concurrency=2)
    stop = threading.Event()
    first: SyncSummary = sync.run(stop_event=stop, progress=StopAfter(stop, 200))
    assert first.status == "stopped"
    written = first.counts("messages").upserted
    assert 0 < written < 1000
    second = sync.run()
    assert second.status == "ok"
    # Nothing written twice beyond the pages in flight: the second run continues, not restarts.
    assert second.counts("messages").upserted + written < 1000 + 50 * 2 * 4
    assert_level_with_server(sync.engine, sync.server.ws, sync.creds)


def test_failures_carry_their_classification(sqlite_syncer: Any) -> None:
    """A proxy 404 on one resource needs a fix (terminal); 5xx on every try may pass (transient);
    a resource the token may not read is expected. The other resources are synced all the same."""
    faults = "404=1@roles.sync,5xx=1@emoji-custom.all|emoji-custom.list"
    sync = sqlite_syncer(SimOptions(faults=faults))
    summary = sync.run(["roles", "custom_emoji", "settings"])
    assert summary.status == "partial"
    found = {f.scope: f for f in summary.failures}
    assert set(found) == {"roles", "custom_emoji"}
    assert found["roles"].classification == "terminal" and "NotFoundError" in found["roles"].message
    assert found["custom_emoji"].classification == "transient"
    assert summary.classification == "terminal"
    assert summary.as_record()["classification"] == "terminal"
    assert sync.run(["custom_emoji", "settings"]).classification == "transient"
    assert sync.run(["settings"]).classification is None


def test_skipped_resources_and_unreadable_rooms_are_not_failures(sqlite_syncer: Any) -> None:
    """A 403 on a whole resource means the token may not read it: skipped, an expected failure;
    rooms the token cannot read are not failures at all."""
    sync = sqlite_syncer(SimOptions(faults="403=1@custom-sounds.list"))
    summary = sync.run()
    assert set(summary.skipped) == {"custom_sounds"} and summary.unreadable_rooms
    assert [(f.scope, f.expected) for f in summary.failures] == [("custom_sounds", True)]
    assert summary.classification is None and summary.status == "ok"


def test_a_stop_cuts_a_rate_limit_wait_short(sqlite_syncer: Any) -> None:
    """One call per 5 s window per endpoint: the second call to any endpoint must wait ~5 s. A stop
    0.5 s in ends that wait at once; the run commits what it has and says "stopped"."""
    sync = sqlite_syncer(SimOptions(rate_limit=(1, 5.0), bypass_roles=()))
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    started = time.monotonic()
    timer.start()
    try:
        summary = sync.run(stop_event=stop)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - started
    assert summary.status == "stopped" and summary.errors == [] and summary.failures == []
    assert elapsed < 2.5, f"the stop waited out the window: {elapsed:.1f} s"
    assert sync.server.request_log.count(status=429) == 0
    runs = metadata.tables["sync_runs"]
    with sync.engine.connect() as conn:
        assert conn.execute(select(runs.c.status)).scalars().all() == ["stopped"]
