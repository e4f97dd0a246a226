"""The sync engine: `run_sync` brings the database level with the server, `reconcile` compares
ids to find what disappeared. See docs/architecture.md for the contract.

The names below are imported on first use, so that `rcetl status` (which reads `etl.sync.status`)
does not load the HTTP client with the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from etl.sync.engine import plan, reconcile, run_sync
    from etl.sync.summary import Failure, ResourceCounts, SyncSummary

_HOMES = {
    "plan": "etl.sync.engine",
    "reconcile": "etl.sync.engine",
    "run_sync": "etl.sync.engine",
    "Failure": "etl.sync.summary",
    "ResourceCounts": "etl.sync.summary",
    "SyncSummary": "etl.sync.summary",
}

__all__ = ["Failure", "ResourceCounts", "SyncSummary", "plan", "reconcile", "run_sync"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
