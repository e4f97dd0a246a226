"""The process settings an Iceberg run works under, restored when it ends.

Two costs that have nothing to do with the rows, measured with perf and the collector's own
callbacks on the medium workspace (2026-11-27):

- **Arrow's default allocator.** pyarrow's wheels allocate with mimalloc, whose pages here came
  from transparent huge pages: memory it purged (a second after it was freed) and took again was
  faulted back in 2 MB at a time, and the kernel's page zeroing was 20-28% of an incremental
  run's CPU (system time 0.2-0.5 s) and 3.2-3.4 s of a full run. The system allocator keeps
  freed memory in the process: system time fell to 0.1 s and 1.6 s, and the full run's peak RSS
  went down, not up (763-801 MB against 840-912 MB).
- **Full collections over the rest of the process.** A process that imported pyiceberg,
  SQLAlchemy and pandas holds ~200k objects the collector tracks, and in a longer-lived one
  (the daemon, or a bench that ran a full export first) a full collection walks them all
  (0.12 s each). They are frozen out of the collections for the run, as the sync's writer does
  (etl/sync/pool.py); what the run itself creates is still collected as it goes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa


@contextmanager
def iceberg_runtime() -> Iterator[None]:
    """Arrow's system allocator and a frozen start-up heap for the block; both restored after
    (buffers remember their pool, so those allocated before are still freed by mimalloc)."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        pa.set_memory_pool(previous)
