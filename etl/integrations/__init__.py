"""Adapters that hand the synced database to other tools (dlt)."""
