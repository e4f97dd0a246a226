"""A short, human view of an export's manifest (for `rcetl export` and `rcetl demo`)."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def describe_archive(manifest: dict[str, Any], title: str | None = None) -> Table:
    """One line per non-empty dataset: rows, files, bytes; totals at the bottom."""
    table = Table(title=title or f"Export {manifest.get('location', '')}")
    table.add_column("dataset")
    table.add_column("rows", justify="right")
    table.add_column("files", justify="right")
    table.add_column("size", justify="right")
    table.add_column("partitioned by")
    rows = files = size = 0
    for name, entry in sorted(manifest["tables"].items()):
        if not entry["rows"]:
            continue
        entry_size = sum(f["bytes"] for f in entry["files"])
        rows, files, size = rows + entry["rows"], files + len(entry["files"]), size + entry_size
        partitioning = ", ".join(entry.get("partitioning") or [])
        table.add_row(
            name, f"{entry['rows']:,}", str(len(entry["files"])), _size(entry_size), partitioning
        )
    table.add_section()
    table.add_row("total", f"{rows:,}", str(files), _size(size), "")
    return table
