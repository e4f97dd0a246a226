"""Parquet export: one-off archives, an incremental warehouse feed, verification, compaction."""

from etl.errors import FilterError
from etl.export.archive import export_archive
from etl.export.feed import export_feed
from etl.export.feed_manifest import FeedResult
from etl.export.filters import ExportFilters
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
