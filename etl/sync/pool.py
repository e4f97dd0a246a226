"""Several fetchers, one writer: room walks run on a small thread pool and hand their pages over a
bounded queue to the calling thread, which writes them. The bound keeps memory flat however large
the workspace; a stop request lets every walk finish the page in flight and nothing more."""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeGuard, TypeVar

from etl.errors import StopRequested, outcome
from etl.sync.context import SyncContext, log
from etl.sync.page_writer import PageWrite, prepare, quarantine_failure, write_pages

T = TypeVar("T")
GROUP_DOCS = 5_000  # documents per group commit
GROUP_PAGES = 64
GROUP_SECONDS = 1.0  # longest a page waits for its group to fill
GC_YOUNG = 30_000  # young-generation size while pages stream (higher: dead responses pile up)


@dataclass
class _Done:
    label: str
    error: BaseException | None = None


def run_walks(
    ctx: SyncContext,
    tasks: list[T],
    walk: Callable[[T], Iterator[PageWrite]],
    label: Callable[[T], str],
    resource: str,
) -> None:
    """Run `walk(task)` for every task on `settings.sync.concurrency` threads and write each page
    it yields on this thread, in the order each walk produced them. A walk that fails is
    recorded under `resource` (an unreadable body quarantined whole) and the others go on."""
    if not tasks:
        return
    workers = max(1, min(ctx.settings.sync.concurrency, len(tasks)))
    pages: queue.Queue[PageWrite | _Done] = queue.Queue(maxsize=workers * 2)
    abort = threading.Event()

    def put(item: PageWrite | _Done) -> None:
        while not abort.is_set():
            try:
                pages.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def work(task: T) -> None:
        error = None
        try:
            if ctx.stopped or abort.is_set():
                return
            for page in walk(task):
                prepare(ctx, page)
                put(page)
                if ctx.stopped or abort.is_set():
                    break
        except Exception as exc:  # reported by the writer thread, the other rooms go on
            error = exc
        finally:
            put(_Done(label(task), error))

    with (
        _gc_for_streaming(),
        ThreadPoolExecutor(workers, thread_name_prefix="rcetl-fetch") as pool,
    ):
        for task in tasks:
            pool.submit(work, task)
        try:
            _write_all(ctx, pages, len(tasks), resource)
        except BaseException:
            abort.set()  # lets the fetch threads blocked on a full queue go
            raise


@contextmanager
def _gc_for_streaming() -> Iterator[None]:
    """Pages stream through here: each lives a few hundred ms and dies by reference counting,
    but with the default thresholds (700, 10, 10) every in-flight page outlives the young
    collections, reaches the old generation and brings on full collections that walk it and the
    start-up heap (modules, schema, SQLAlchemy: ~100k objects) again every few pages: ~15-25% of
    a full sync. So: the start-up heap is frozen out of the collections and the young generation
    holds GC_YOUNG objects; both are restored afterwards (nothing is kept from collection for
    good, and the few reference cycles of the walks are still collected as they go)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], GC_YOUNG), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _write_all(
    ctx: SyncContext, pages: queue.Queue[PageWrite | _Done], walks: int, resource: str
) -> None:
    """The writer loop: group-commit what the walks produce until every walk reported done.
    A walk's error is recorded and the others go on, except those that end the run (bad
    credentials, an unreachable server, a database error: `etl.errors.OUTCOMES`), which stop all."""
    remaining = walks
    while remaining:
        batch, finished = _take(ctx, pages, remaining)
        if batch:
            write_pages(ctx, batch)
        for done in finished:
            remaining -= 1
            if _aborts_run(done.error):
                raise done.error
            if done.error is not None and not isinstance(done.error, StopRequested):
                quarantine_failure(ctx, resource, done.error)
                failure = ctx.summary.fail(done.label, done.error)
                log.error("%s (%s): %s", done.label, failure.classification, done.error)


def _take(
    ctx: SyncContext, pages: queue.Queue[PageWrite | _Done], walks_left: int
) -> tuple[list[PageWrite], list[_Done]]:
    """Block for one item, then gather a group: until it holds GROUP_DOCS documents (or
    GROUP_PAGES pages), every walk is done, a stop is requested or GROUP_SECONDS have passed.
    Taking only what was already waiting made groups of a few hundred documents (the fetch
    threads are slower than the writer between two commits), and SQLite's cost per commit
    (WAL frames of the same index pages, checkpoints) then weighed as much as the rows."""
    batch: list[PageWrite] = []
    finished: list[_Done] = []
    item = pages.get()
    deadline = time.monotonic() + GROUP_SECONDS
    docs = 0
    while True:
        if isinstance(item, _Done):
            finished.append(item)
        else:
            batch.append(item)
            docs += item.size
        if (
            docs >= GROUP_DOCS
            or len(batch) >= GROUP_PAGES
            or len(finished) >= walks_left
            or ctx.stopped
            or (isinstance(item, _Done) and _aborts_run(item.error))
        ):
            break
        try:
            item = pages.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            break
    return batch, finished


def _aborts_run(error: BaseException | None) -> TypeGuard[BaseException]:
    return error is not None and outcome(error).aborts_run
