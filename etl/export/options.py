"""Tuning knobs of an export, usually taken from the `export:` settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BATCH_ROWS = 16 * 1024
ROW_GROUP_ROWS = 128 * 1024


@dataclass(frozen=True)
class ExportOptions:
    """`batch_rows`: rows fetched from the database at a time (memory is bounded by it and one
    row group); `row_group_rows`: rows per Parquet row group (large groups scan fast);
    `compression`: Parquet codec; `endpoint_url`: S3-compatible endpoint (else from env)."""

    batch_rows: int = BATCH_ROWS
    row_group_rows: int = ROW_GROUP_ROWS
    compression: str = "zstd"
    endpoint_url: str | None = None

    @classmethod
    def from_settings(cls, export: Any) -> ExportOptions:
        """From `settings.export` (fields it lacks keep their defaults)."""
        return cls(
            batch_rows=getattr(export, "batch_size", BATCH_ROWS),
            row_group_rows=getattr(export, "row_group_size", ROW_GROUP_ROWS),
            compression=getattr(export, "compression", "zstd"),
            endpoint_url=getattr(export, "endpoint_url", None),
        )
