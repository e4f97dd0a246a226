"""Parquet export: one-off archives, an incremental warehouse feed, verification, compaction."""

from etl.export.archive import export_archive
from etl.export.feed import FeedResult, export_feed
from etl.export.filters import ExportFilters, FilterError
from etl.export.options import ExportOptions
from etl.export.verify import verify_archive

__all__ = [
    "ExportFilters",
    "ExportOptions",
    "FeedResult",
    "FilterError",
    "export_archive",
    "export_feed",
    "verify_archive",
]
