"""Table commits on a background thread, so that a run prepares the next table meanwhile.

A run's tables are independent: each gets its own Iceberg transaction. Preparing a table is
mostly reading (the changed keys and rows from the database, the key column of its data
files); committing it is mostly writing (data and delete files, manifests, the new metadata
and the catalog row). A commit whose rows are in memory (an incremental change: at most one
chunk) runs on one background thread while the caller prepares the next table; one whose rows
still stream from the database (a first load, a rewrite) runs in the caller's thread, since the
read snapshot's connection is that thread's alone, and large chunks are never held twice.

Commits still happen one at a time and in the tables' order: a commit waits for the previous
one, and its error is raised by the next `commit` or by `wait`. A run killed at any point thus
leaves each table at its previous snapshot or at the new one, as before (the catalog row
switches last), and a run only saves its hints after `wait`, i.e. after every commit succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager


class Committer:
    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="iceberg-commit")
        self._pending: Future[None] | None = None

    def commit(self, apply: Callable[[], None], *, in_background: bool) -> None:
        """Run `apply` after the previous commit ended: in the background, or now."""
        self.wait()
        if in_background:
            self._pending = self._thread.submit(apply)
        else:
            apply()

    def wait(self) -> None:
        """Wait for the commit under way; raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()


@contextmanager
def committer() -> Iterator[Committer]:
    """A Committer whose thread ends with the block; on an error, the commit under way still
    ends (it is one table's whole transaction)."""
    done = Committer()
    try:
        yield done
    finally:
        done._thread.shutdown(wait=True)
