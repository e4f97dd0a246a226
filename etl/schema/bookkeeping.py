"""Bookkeeping tables: checkpoints, run logs, quarantine, tombstones, daemon and export state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from etl.schema.base import Base
from etl.schema.types import RawJSON


class SyncState(Base):
    """One checkpoint per resource and scope ('' for server-wide resources, else a room id)."""

    __tablename__ = "sync_state"

    resource: Mapped[str] = mapped_column(String, primary_key=True)
    scope: Mapped[str] = mapped_column(String, primary_key=True, default="")
    cursor: Mapped[str | None]
    offset: Mapped[int | None]  # unused since issue 10 (no offset checkpoints); kept, no migration
    watermark: Mapped[datetime | None]
    status: Mapped[str | None]
    error: Mapped[str | None]
    updated_at: Mapped[datetime | None]


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str | None]
    resources: Mapped[Any | None] = mapped_column(RawJSON)
    counts: Mapped[Any | None] = mapped_column(RawJSON)
    requests: Mapped[int | None]
    retries: Mapped[int | None]
    rate_limit_waits: Mapped[int | None]
    errors: Mapped[Any | None] = mapped_column(RawJSON)
    # The server the run talked to: its URL without credentials, and its version (from /api/info).
    server_url: Mapped[str | None]
    server_version: Mapped[str | None]
    # Permissions the token lacks to enumerate everything: permission -> what it hides.
    view_limits: Mapped[Any | None] = mapped_column(RawJSON)


class Quarantine(Base):
    """Records that could not be normalised, kept verbatim with the reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String, index=True)
    record_id: Mapped[str | None]
    reason: Mapped[str]
    raw: Mapped[str]
    run_id: Mapped[int | None]
    seen_at: Mapped[datetime]


class Tombstone(Base):
    """Deletions that left no row behind (purged rows, or ids deleted before they were synced)."""

    __tablename__ = "tombstones"

    table_name: Mapped[str] = mapped_column(String, primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    deleted_at: Mapped[datetime | None]
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True)


class JobRun(Base):
    """The daemon's view of each scheduled job."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String, primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_status: Mapped[str | None]
    last_error: Mapped[str | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    next_run_at: Mapped[datetime | None]
    last_duration_s: Mapped[float | None]
    last_counts: Mapped[Any | None] = mapped_column(RawJSON)
    # The end of the last successful run, kept across failures: the lag and /healthz use it.
    last_success_at: Mapped[datetime | None]


class ExportState(Base):
    __tablename__ = "export_state"

    target: Mapped[str] = mapped_column(String, primary_key=True)
    last_change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_run_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(Integer, server_default="0")


class Counter(Base):
    """Named counters; `change_seq` is the change marker every write transaction takes one of."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, server_default="0")
