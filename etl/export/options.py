"""Tuning knobs of an export, usually taken from the `export:` settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from etl.config import ExportSettings

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
    def from_settings(cls, export: ExportSettings) -> ExportOptions:
        """From `settings.export`."""
        return cls(
            batch_rows=export.batch_size,
            row_group_rows=export.row_group_size,
            compression=export.compression,
            endpoint_url=str(export.endpoint_url) if export.endpoint_url else None,
        )
