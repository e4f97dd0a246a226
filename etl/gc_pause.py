"""Automatic garbage collection off for a block that allocates millions of acyclic objects (rows,
strings, tuples): the collections it triggered walked every live container again and again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Collection stays off inside the block (nested blocks keep it off), restored after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
