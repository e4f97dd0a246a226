"""The history tests run the sync against the simulator like tests/sync (same fixtures)."""

from tests.sync.conftest import serve, sqlite_syncer, syncer, workspace

__all__ = ["serve", "sqlite_syncer", "syncer", "workspace"]
