"""The sync engine: `run_sync` brings the database level with the server, `reconcile` compares
ids to find what disappeared. See docs/architecture.md for the contract."""

from etl.sync.engine import plan, reconcile, run_sync
from etl.sync.summary import Failure, ResourceCounts, SyncSummary

__all__ = ["Failure", "ResourceCounts", "SyncSummary", "plan", "reconcile", "run_sync"]
